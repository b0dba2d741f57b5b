package restore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// A write is done only when the server kept what it was sent. After each
// create and update the engine compares the server's answer with the
// state the step meant to write, through the same view and equality as
// planning (view, changedFields: numbers by value, absent the same as
// null), so that "done" means a new plan would skip the object. An item's
// update and links step send its whole data, relation values included (see
// itemUpdate and linksBody): a value the server dropped is a difference.
//
// Some servers merge an item's data on update: a key absent from the body
// is kept (see the contract, section 6). A key the step must remove but
// the server kept is sent again as null (a null clears a key on merging
// and replacing servers alike), in the step's whole body, so that a
// server that replaces data loses nothing; then the answer is judged
// again. A step whose answer still differs fails: "the server kept
// data.stale".
//
// A server that answers a write with something other than the object (an
// empty 2xx, or a body without the fields written) is asked for the
// object with a GET before the answer is judged. A server that answers
// with the object costs no request more, unless it kept a key.

// verifyWrite judges the answer to a create or update of the object id,
// sending kept keys again as null once. sent is the body as sent (target
// ids, secrets included); answer is the server's answer to it.
func (e *Engine) verifyWrite(ctx context.Context, k *kind.Kind, s *Step, id string, sent map[string]any, answer json.RawMessage) error {
	params := e.params(k, s, id)
	j, err := e.judge(ctx, k, s, params, sent, answer)
	if err != nil {
		return err
	}
	if len(j.kept) > 0 && k.Update != "" {
		again := resendBody(k, s, sent, j.kept)
		raw, err := e.sendWrite(ctx, s, k, k.Update, params, again)
		if err != nil {
			return fmt.Errorf("the server kept %s; sending it again as null failed: %w", strings.Join(j.kept, ", "), err)
		}
		nulled := j.kept
		if j, err = e.judge(ctx, k, s, params, sent, raw); err != nil {
			return err
		}
		if len(j.kept)+len(j.differs) == 0 && s.Result != nil {
			s.Result.Note = joinNote(s.Result.Note, "the server kept "+strings.Join(nulled, ", ")+": sent again as null")
		}
	}
	var why []string
	if len(j.kept) > 0 {
		why = append(why, "the server kept "+strings.Join(j.kept, ", "))
	}
	if len(j.differs) > 0 {
		why = append(why, "the server's answer differs in "+strings.Join(j.differs, ", "))
	}
	if len(why) > 0 {
		return fmt.Errorf("%s", strings.Join(why, "; "))
	}
	return nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// judgement lists the paths in which the target differs from what a step
// meant to write: kept are values the step leaves out (or sets to null)
// that the target still has; differs are the others.
type judgement struct {
	kept, differs []string
	missing       bool // a written value is absent from the answer
}

// judge compares an answer with the step's intended state, fetching the
// object when the answer is not it.
func (e *Engine) judge(ctx context.Context, k *kind.Kind, s *Step, params map[string]string, sent map[string]any, answer json.RawMessage) (judgement, error) {
	have, ok := answerFields(k, answer)
	var j judgement
	if ok {
		j = compareWrite(k, s, sent, have)
	}
	if ok && !j.missing {
		return j, nil
	}
	if k.Get == "" {
		if !ok {
			return judgement{}, nil // nothing to judge with: the write is taken as sent
		}
		return j, nil
	}
	raw, err := e.send(ctx, s, k.Get, params, nil)
	if err != nil {
		return judgement{}, fmt.Errorf("written, but reading it back to check failed: %w", err)
	}
	if have, ok = answerFields(k, raw); !ok {
		return judgement{}, fmt.Errorf("written, but reading it back did not answer the %s", k.Label)
	}
	return compareWrite(k, s, sent, have), nil
}

// answerFields decodes an answer that is the object: a JSON object with
// the kind's id.
func answerFields(k *kind.Kind, raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	v, err := decodeRaw(raw)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok || m[k.IDField] == nil {
		return nil, false
	}
	return m, true
}

// compareWrite compares the fields of the target object with what step s
// sent, in the shape of the kind's compareView: a field beyond the
// contract that was sent is not judged (a server may drop it silently).
func compareWrite(k *kind.Kind, s *Step, sent, have map[string]any) judgement {
	want := compareView(k, &Obj{Kind: k.Name, Raw: marshalRaw(sent)})
	got := compareView(k, &Obj{Kind: k.Name, Raw: marshalRaw(have)})
	// The secrets the step sent from the configuration are never read
	// back, or come back masked: they are not compared (the documented
	// ones the view drops already).
	dropStepSecrets(s, dataOf(want))
	switch {
	case s.Phase == PhaseLinks:
		// A links step writes some references (an item's relation values,
		// a quick task's item); the rest is the object's own step's.
		got = only(got, want)
		if d, ok := got["data"].(map[string]any); ok {
			got["data"] = only(d, dataOf(want))
		}
	case s.Action == Create && k.CreateBody != nil && len(k.SelfRefs()) == 0:
		// The create body has a shape of its own (a member's invitation):
		// the fields it shares with the view are compared.
		for key := range want {
			if _, inBody := sent[key]; !inBody {
				delete(want, key)
			}
		}
		got = only(got, want)
	}
	var j judgement
	for _, p := range kindChanges(k.Name, want, got) {
		w, h := atPath(want, p), atPath(got, p)
		switch {
		case w == nil && h != nil:
			// An update leaves alone what the plan found equal or does not
			// compare (relation values, written by the links pass): only
			// the paths it changes must go.
			if s.Action == Update && !contains(s.Changes, p) {
				continue
			}
			j.kept = append(j.kept, p)
		case h == nil:
			j.missing = true
			j.differs = append(j.differs, p)
		default:
			j.differs = append(j.differs, p)
		}
	}
	return j
}

func dataOf(m map[string]any) map[string]any {
	d, _ := m["data"].(map[string]any)
	return d
}

// only returns the members of m whose keys keys has.
func only(m, keys map[string]any) map[string]any {
	out := map[string]any{}
	for key := range keys {
		if v, ok := m[key]; ok {
			out[key] = v
		}
	}
	return out
}

// resendBody is the update that clears the kept paths: the step's body
// with each kept path set to null, so that a server that replaces loses
// nothing either. A create whose body has a shape of its own sends the
// nulls alone.
func resendBody(k *kind.Kind, s *Step, sent map[string]any, kept []string) map[string]any {
	body := map[string]any{}
	if !(s.Action == Create && k.CreateBody != nil) {
		body = deepCopy(sent).(map[string]any)
	}
	for _, p := range kept {
		top, sub, nested := strings.Cut(p, ".")
		if !nested {
			body[top] = nil
			continue
		}
		m, ok := body[top].(map[string]any)
		if !ok {
			m = map[string]any{}
			body[top] = m
		}
		m[sub] = nil
	}
	return body
}

// atPath returns the value at a path of changedFields: a top-level field,
// or a member of one ("data.<slug>", where the slug may hold dots).
func atPath(m map[string]any, p string) any {
	if v, ok := m[p]; ok {
		return v
	}
	top, sub, nested := strings.Cut(p, ".")
	if !nested {
		return nil
	}
	inner, _ := m[top].(map[string]any)
	return inner[sub]
}
