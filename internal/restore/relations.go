package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// errLinksLeft is returned for a links step none of whose values could be
// translated: the items they point at were not created (their create
// failed, or a person deleted them since the plan). Nothing is written.
var errLinksLeft = errors.New("left as it is")

// errLinksUnnamed is returned for a links step that names no relation
// field (a plan saved by an earlier build): nothing is written.
var errLinksUnnamed = errors.New("the step names no relation field (a plan saved by an earlier build): make the plan again")

// carriesRelations reports whether a step's body holds an item's relation
// values, which the engine translates field by field.
func carriesRelations(k *kind.Kind, s *Step) bool {
	return len(k.SelfRefs()) > 0 && (s.Phase == PhaseLinks || len(s.Relations) > 0 || len(s.Held) > 0)
}

// translateRelations turns the relation values of an item's body into
// target ids: the fields of Relations (a links step that names none is
// refused, errLinksUnnamed). A value that names an item the target lacks (or a
// list with such an id) is not sent: the target's value from Held takes
// its place, or the field is left out, never sent as null; s.left says
// which, for the step's Result. The other fields of Held are added as
// they are, so that a server that replaces an item's data on update keeps
// them; the answer is then checked against all of it.
func (e *Engine) translateRelations(k *kind.Kind, s *Step, body map[string]any) error {
	data, _ := body["data"].(map[string]any)
	if data == nil {
		return nil
	}
	var held map[string]any
	if len(s.Held) > 0 {
		v, err := decodeRaw(s.Held)
		if err != nil {
			return fmt.Errorf("step held values: %w", err)
		}
		held, _ = v.(map[string]any)
	}
	keys := s.Relations
	if s.Phase == PhaseLinks && len(keys) == 0 {
		// The body of a links step holds the item's whole data: which of
		// its fields are relation values only Relations says. Taking
		// every field for one would send plain values as item ids (and
		// drop them as not in the target).
		return errLinksUnnamed
	}
	target := k.SelfRefs()[0].Kind
	s.left = nil
	set := 0
	for _, key := range keys {
		v, ok := data[key]
		if !ok {
			continue
		}
		nv, lacking := e.translateAll(target, v)
		if len(lacking) > 0 {
			delete(data, key)
			if h, ok := held[key]; ok {
				data[key] = h
			}
			s.left = append(s.left, fmt.Sprintf("data.%s (%s %s not in the target)", key, kindLabel(target), strings.Join(lacking, ", ")))
			continue
		}
		data[key] = nv
		set++
	}
	for key, h := range held {
		if _, ok := data[key]; !ok {
			data[key] = h
		}
	}
	if s.Phase == PhaseLinks && set == 0 && len(s.left) > 0 {
		return fmt.Errorf("%w: %s", errLinksLeft, strings.Join(s.left, "; "))
	}
	return nil
}

// translateAll maps an id or a list of ids; lacking lists the ids the
// target has no object for.
func (e *Engine) translateAll(target string, v any) (any, []string) {
	if l, ok := v.([]any); ok {
		out := make([]any, 0, len(l))
		var lacking []string
		for _, x := range l {
			nv, miss := e.translateAll(target, x)
			lacking = append(lacking, miss...)
			if nv != nil {
				out = append(out, nv)
			}
		}
		return out, lacking
	}
	id := text(v)
	if id == "" {
		return v, nil
	}
	t, ok := e.target(target, id)
	if !ok {
		return nil, []string{id}
	}
	return e.idValue(target, t, v), nil
}

// reportLeft adds to a written step's Result the relation values left as
// they were. A links step that could not set them all is failed: a later
// apply sets them once their items exist. A create is done, with a note.
func reportLeft(s *Step, err error) error {
	if err != nil || len(s.left) == 0 || s.Result == nil {
		return err
	}
	left := "left as it is: " + strings.Join(s.left, "; ")
	if s.Phase == PhaseLinks {
		return fmt.Errorf("the other values were set; %s", left)
	}
	if s.Result.Note != "" {
		s.Result.Note += "; "
	}
	s.Result.Note += left
	return nil
}

// sameContent reports whether a target object is what a create of s with
// body would have made. An item's relation values may be missing from it:
// an earlier apply may have created the item before their items existed
// (they were left for the links pass then), so a relation value of the
// candidate matches when it is equal or empty.
func sameContent(s *Step, body, have map[string]any) bool {
	if len(s.Relations) == 0 {
		return subset(body, have)
	}
	data, _ := body["data"].(map[string]any)
	hdata, _ := have["data"].(map[string]any)
	plain := map[string]any{}
	for key, v := range data {
		if !contains(s.Relations, key) {
			plain[key] = v
			continue
		}
		if h := hdata[key]; h != nil && !subset(map[string]any{key: v}, map[string]any{key: h}) {
			return false
		}
	}
	rest := map[string]any{}
	for key, v := range body {
		rest[key] = v
	}
	rest["data"] = plain
	return subset(rest, have)
}

// completeFound writes an item's create body over the item a lookup found
// in its place: an earlier apply may have created it without its relation
// values. The whole body is sent, as a server may replace an item's data
// on update; setting it again changes nothing, so it is always sent.
func (e *Engine) completeFound(ctx context.Context, k *kind.Kind, s *Step, params map[string]string, id string, body map[string]any) error {
	if len(s.Relations) == 0 {
		return nil
	}
	p := map[string]string{"id": id}
	for key, v := range params {
		p[key] = v
	}
	if err := e.retryAmbiguous(ctx, s, k.Update, p, body); err != nil {
		return fmt.Errorf("found as %s, but setting its relation values failed: %w", id, err)
	}
	return nil
}
