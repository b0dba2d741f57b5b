package restore

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// A create or update sends every field of the object's view, the fields
// a server has beyond the contract included: one may be writable, and a
// restore that left it out would lose it without a word. One may also be
// read-only, and a server that forbids unknown properties (NestJS's
// forbidNonWhitelisted) refuses the write with 400 "property revision
// should not exist". Such a refusal, when every property it names is a
// top-level field of the body that the contract does not name for the
// kind, is not a failure: the write is sent again without them, and they
// are left out of every later write of the kind on the same route (its
// creates, or its updates) in the same apply: a server may refuse on
// updates a field its creates take, and a create that left it out would
// lose it for good (beyond the contract, it is never compared). The
// plan records them (Plan.RefusedFields), so that the apply says what
// was not written. A refused property the contract names stays an error.

// refusedPropertyRe matches NestJS's message for a property its DTO does
// not name, in a list of messages or inside a plain string. A property of
// a nested object comes with its parent's path ("settings.property x
// should not exist"): that is not the top-level field x, so "property"
// must start the message or follow a character that is neither part of a
// word nor a dot.
var refusedPropertyRe = regexp.MustCompile(`(?:^|[^\w.])property ([^\s,;]+) should not exist`)

// refusedProperties returns the properties a 400 answer names as ones
// that should not exist; nil for any other error.
func refusedProperties(err error) []string {
	var ae *api.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		return nil
	}
	msgs := ae.Messages
	if len(msgs) == 0 && ae.Body != "" {
		msgs = []string{ae.Body}
	}
	var out []string
	for _, m := range msgs {
		for _, sub := range refusedPropertyRe.FindAllStringSubmatch(m, -1) {
			if !slices.Contains(out, sub[1]) {
				out = append(out, sub[1])
			}
		}
	}
	return out
}

// unknownRefused returns the properties err refuses when all of them are
// top-level fields of body that the contract does not name for k: the
// write may go again without them. Otherwise nil: the refusal is an
// error (a field the contract names, or one the body does not hold). A
// kind whose writes have a shape of their own (k.View: a member's
// invitation, an integration) sends only fields of the contract's route,
// some of which Known, the fields of its objects, does not list (a
// member create's fname): nothing of its body is beyond the contract.
func unknownRefused(k *kind.Kind, err error, body map[string]any) []string {
	props := refusedProperties(err)
	if len(props) == 0 || len(k.Known) == 0 || k.View != nil {
		return nil
	}
	for _, p := range props {
		if _, sent := body[p]; !sent || slices.Contains(k.Known, p) {
			return nil
		}
	}
	return props
}

// sendWrite sends a create or update body of an object of k, without the
// fields the server refused earlier in this apply on route. A refusal of
// fields beyond the contract (unknownRefused) is remembered and the write
// sent again without them; body is changed in place, so that what the
// caller judges and looks up is what was sent.
func (e *Engine) sendWrite(ctx context.Context, s *Step, k *kind.Kind, route string, params map[string]string, body map[string]any) (json.RawMessage, error) {
	e.mu.Lock()
	for _, f := range e.refusedRoutes[route] {
		delete(body, f)
	}
	e.mu.Unlock()
	for {
		raw, err := e.send(ctx, s, route, params, body)
		props := unknownRefused(k, err, body)
		if len(props) == 0 {
			return raw, err
		}
		e.noteRefused(k, route, props)
		for _, p := range props {
			delete(body, p) // each round drops a field: it ends
		}
	}
}

// noteRefused remembers fields the server refused for k on route.
func (e *Engine) noteRefused(k *kind.Kind, route string, props []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refusedFields == nil {
		e.refusedFields = map[string][]string{}
	}
	if e.refusedRoutes == nil {
		e.refusedRoutes = map[string][]string{}
	}
	for _, p := range props {
		if !slices.Contains(e.refusedRoutes[route], p) {
			e.refusedRoutes[route] = append(e.refusedRoutes[route], p)
		}
	}
	var added []string
	for _, p := range props {
		if !slices.Contains(e.refusedFields[k.Name], p) {
			e.refusedFields[k.Name] = append(e.refusedFields[k.Name], p)
			added = append(added, p)
		}
	}
	if len(added) > 0 {
		sort.Strings(e.refusedFields[k.Name])
		e.Log.Info("the server refused fields the contract does not name; writing without them",
			"kind", k.Name, "fields", strings.Join(added, ","))
	}
}

// refusedSoFar returns a copy of the fields refused per kind, nil when none.
func (e *Engine) refusedSoFar() map[string][]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.refusedFields) == 0 {
		return nil
	}
	out := maps.Clone(e.refusedFields)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out
}
