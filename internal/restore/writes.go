package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// create sends a create, recording the new id in the id map at once. A
// create whose answer is lost is looked up in the target before it is
// sent again.
func (e *Engine) create(ctx context.Context, k *kind.Kind, s *Step) error {
	if id, ok := e.mapped(k.Name, s.SourceID); ok && s.SourceID != "" {
		s.Result = &Result{Status: StatusDone, TargetID: id, Note: "created by an earlier apply"}
		return nil
	}
	body, err := e.translate(k, s)
	if err != nil {
		return err
	}
	status, hasStatus := "", false
	if k.Name == kind.Members {
		status, hasStatus = text(body["status"]), body["status"] != nil
		delete(body, "status")
	}
	if err := e.addSecrets(s, body); err != nil {
		return err
	}
	params := e.params(k, s, "")
	if s.Lookup || e.IDs.Pending(k.Name, s.SourceID) {
		id, err := e.lookup(ctx, k, s, params, body)
		if err != nil {
			return err
		}
		if id != "" {
			if err := e.completeFound(ctx, k, s, params, id, body); err != nil {
				return err
			}
			return e.created(s, k, id, "found in the target: an earlier apply had created it")
		}
	}
	attempts := e.attempts
	if attempts <= 0 {
		attempts = 3
	}
	var lastErr error
	for range attempts {
		raw, err := e.sendWrite(ctx, s, k, k.Create, params, body) // marked pending by Apply
		if err == nil {
			id := ""
			if obj, err := api.NewObject(k, params[k.ParentParam], raw); err == nil {
				id = obj.ID
			}
			if id == "" {
				// Any 2xx is a success: the object exists, but the answer
				// (empty, an array, an object without an id) does not name
				// it. It is found the way a lost create is found.
				if id, err = e.findCreated(ctx, k, s, params, body); err != nil {
					return err
				}
				raw = nil // judged on the object read back
			} else {
				e.learnIDType(k, raw)
				if err := e.created(s, k, id, ""); err != nil {
					return err
				}
			}
			if err := e.verifyWrite(ctx, k, s, id, body, raw); err != nil {
				return err
			}
			if hasStatus {
				return e.setMemberStatus(ctx, k, s, id, status)
			}
			return nil
		}
		if !ambiguous(err) {
			return err
		}
		lastErr = err
		e.Log.Info("create answer lost; looking the object up", "kind", k.Name, "key", s.Key, "err", err)
		id, lerr := e.lookup(ctx, k, s, params, body)
		if lerr != nil {
			return fmt.Errorf("%w; and looking it up failed: %v", err, lerr)
		}
		if id != "" {
			if err := e.completeFound(ctx, k, s, params, id, body); err != nil {
				return err
			}
			if err := e.created(s, k, id, "found in the target after a lost answer"); err != nil {
				return err
			}
			if hasStatus {
				return e.setMemberStatus(ctx, k, s, id, status)
			}
			return nil
		}
	}
	return lastErr
}

// findCreated looks up the object of a create that the server accepted
// without answering the object, and records its id. Not found, the step
// fails and its id map entry stays pending: the next apply looks it up
// again before it creates anything, so nothing is created twice.
func (e *Engine) findCreated(ctx context.Context, k *kind.Kind, s *Step, params map[string]string, body map[string]any) (string, error) {
	const why = "the server accepted the create without answering the object"
	e.Log.Info("create answered without the object; looking it up", "kind", k.Name, "key", s.Key)
	id, err := e.lookup(ctx, k, s, params, body)
	if err != nil {
		return "", fmt.Errorf("%s, and looking it up failed: %w", why, err)
	}
	if id == "" {
		return "", fmt.Errorf("%s, and no %s of the target matches it: the next apply looks it up again before creating it", why, k.Label)
	}
	if err := e.created(s, k, id, "found in the target: "+why); err != nil {
		return "", err
	}
	return id, nil
}

// created records a created object's id.
func (e *Engine) created(s *Step, k *kind.Kind, id, note string) error {
	if err := e.IDs.Put(k.Name, s.SourceID, id); err != nil {
		return &fatalError{err}
	}
	s.Result = &Result{Status: StatusDone, TargetID: id, Note: note}
	return nil
}

// setMemberStatus sets a created member's status, which the create route
// does not take.
func (e *Engine) setMemberStatus(ctx context.Context, k *kind.Kind, s *Step, id, status string) error {
	if status == "" || status == "active" {
		return nil
	}
	_, err := e.send(ctx, s, k.Update, map[string]string{"id": id}, map[string]any{"status": status})
	if err != nil {
		return fmt.Errorf("created as %s, but setting its status %s failed: %w", id, status, err)
	}
	return nil
}

// update writes the source's state over the matched target object.
func (e *Engine) update(ctx context.Context, k *kind.Kind, s *Step) error {
	id := s.TargetID
	if id == "" {
		var ok bool
		if id, ok = e.target(k.Name, s.SourceID); !ok {
			return fmt.Errorf("the %s was not created, so it cannot be updated", k.Label)
		}
	}
	body, err := e.translate(k, s)
	if err != nil {
		return err
	}
	raw, err := e.sendWrite(ctx, s, k, k.Update, e.params(k, s, id), body)
	if err != nil {
		return err
	}
	s.Result = &Result{Status: StatusDone, TargetID: id}
	if err := e.verifyWrite(ctx, k, s, id, body, raw); err != nil {
		return err
	}
	return e.remember(s)
}

// remove deletes a target object; one already gone counts as deleted.
func (e *Engine) remove(ctx context.Context, k *kind.Kind, s *Step) error {
	_, err := e.send(ctx, s, k.Delete, e.params(k, s, s.TargetID), nil)
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return err
	}
	s.Result = &Result{Status: StatusDone, TargetID: s.TargetID}
	return nil
}

func isStatus(err error, code int) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.StatusCode == code
}

// lookup finds the object a create would make among the target's objects:
// by natural key, or by content for kinds without one. Target objects
// that the plan matched to another source object (by id map, same id or
// natural key), that the id map gives to another, or that another lookup
// of this apply took, are passed over: content that compares equal (an
// integration whose secrets are not compared, an item with the same
// data) does not make them the object this create made.
func (e *Engine) lookup(ctx context.Context, k *kind.Kind, s *Step, params map[string]string, body map[string]any) (string, error) {
	var parent api.Object
	if k.Parent != "" {
		pk, _ := kind.ByName(k.Parent)
		field := "id"
		if k.ParentField != pk.IDField {
			field = k.ParentField
		}
		raw, _ := json.Marshal(map[string]string{field: params[k.ParentParam], pk.IDField: params[k.ParentParam]})
		obj, err := api.NewObject(pk, "", raw)
		if err != nil {
			return "", err
		}
		parent = obj
	}
	want := &Obj{Kind: k.Name, Raw: marshalRaw(body)}
	// The fields the contract names, the lists whose order is not promised
	// in any order: a field beyond the contract may be read-only and
	// differ in the object the create made.
	sorted := inCompareOrder(k.Name, knownOnly(k, body))
	nk := ""
	if k.Name != kind.Integrations {
		nk = naturalKey(k, want)
	}
	var matches []string
	_, err := e.Client.List(ctx, k, e.Workspace, parent, func(objs []api.Object) error {
		for _, o := range objs {
			cand := &Obj{Kind: k.Name, Key: o.Key, ID: o.ID, Raw: o.Raw}
			switch {
			case nk != "":
				if naturalKey(k, cand) == nk {
					matches = append(matches, o.ID)
				}
			case k.Name == kind.Integrations:
				if text(providerID(cand)) != text(body["integration"]) {
					continue
				}
				data := &Obj{Raw: marshalRaw(map[string]any{"data": cand.Fields()["data"]})}
				wd, _ := body["data"].(map[string]any)
				hd, _ := data.Fields()["data"].(map[string]any)
				if subset(map[string]any{"data": withoutSecrets(k, s, body["data"])}, data.Fields()) && !maskDiffers(s, wd, hd) {
					matches = append(matches, o.ID)
				}
			default:
				if sameContent(s, sorted, inCompareOrder(k.Name, cand.Fields())) {
					matches = append(matches, o.ID)
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	// Two source objects with the same content may be looked up at once:
	// each target object goes to one of them only.
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reserved == nil {
		e.reserved = map[string]string{}
	}
	for _, id := range matches {
		if src, taken := e.taken[k.Name+"\x00"+id]; taken && src != s.SourceID {
			continue
		}
		if src, taken := e.IDs.Source(k.Name, id); taken && src != s.SourceID {
			continue
		}
		if src, taken := e.reserved[k.Name+"\x00"+id]; taken && src != s.SourceID {
			continue
		}
		e.reserved[k.Name+"\x00"+id] = s.SourceID
		return id, nil
	}
	return "", nil
}

// subset reports whether every field of want has the same value in have;
// objects are compared field by field, recursively.
func subset(want, have map[string]any) bool {
	for key, w := range want {
		h, ok := have[key]
		wm, wIsMap := w.(map[string]any)
		hm, hIsMap := h.(map[string]any)
		switch {
		case wIsMap && hIsMap:
			if !subset(wm, hm) {
				return false
			}
		case !ok:
			if w != nil {
				return false
			}
		case !jsonv.Equal(w, h):
			return false
		}
	}
	return true
}

// withoutSecrets returns a copy of an integration's data without its
// secrets: the documented ones (k.Secrets) and those step s adds from the
// configuration (s.Secrets), which the server never answers as sent.
func withoutSecrets(k *kind.Kind, s *Step, data any) any {
	m, ok := deepCopy(data).(map[string]any)
	if !ok {
		return data
	}
	for _, name := range k.Secrets {
		if len(name) > 5 && name[:5] == "data." {
			delete(m, name[5:])
		}
	}
	dropStepSecrets(s, m)
	return m
}

// dropStepSecrets deletes from an integration's data the secrets step s
// adds from the configuration ("provider.key", the key a path inside the
// data: "credentials.client_secret"): they are never read back, or come
// back masked, so they are not compared.
func dropStepSecrets(s *Step, data map[string]any) {
	if data == nil {
		return
	}
	for _, name := range s.Secrets {
		_, key, _ := strings.Cut(name, ".")
		kind.DeletePath(data, key)
	}
}

// maskDiffers reports whether a secret step s adds from the configuration
// is answered in have masked with visible characters ("****2222",
// "sk_live_****1234") that the configured secret (in want, the data the
// create sent) does not begin or end with: have holds another secret, so
// it is not the object the create made.
func maskDiffers(s *Step, want, have map[string]any) bool {
	for _, name := range s.Secrets {
		_, key, _ := strings.Cut(name, ".")
		w, _ := valueAt(want, key).(string)
		h, _ := valueAt(have, key).(string)
		if w == "" || !kind.Masked(h) {
			continue
		}
		i := strings.IndexAny(h, maskRunes)
		before, after := h[:i], strings.TrimLeft(h[i:], maskRunes)
		if after != "" && strings.ContainsRune("-_.", rune(after[0])) {
			after = after[1:]
		}
		if !strings.HasPrefix(w, before) || !strings.HasSuffix(w, after) {
			return true
		}
	}
	return false
}

// maskRunes are the characters a server masks a secret with (kind.Masked).
const maskRunes = "*•●·"

// valueAt returns the value at path (kind.SplitPath) in data: keys of
// objects, indices of lists; nil where there is none.
func valueAt(data map[string]any, path string) any {
	var cur any = data
	for _, seg := range kind.SplitPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(c) {
				return nil
			}
			cur = c[n]
		default:
			return nil
		}
	}
	return cur
}
