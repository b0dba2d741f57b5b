package restore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// writePermissions removes and adds a role's permissions. An add whose
// answer is lost is checked against the role before it is sent again (the
// API refuses a permission the role already has).
func (e *Engine) writePermissions(ctx context.Context, s *Step) error {
	rk, _ := kind.ByName(kind.Roles)
	roleID, ok := e.roleTarget(s)
	if !ok {
		return fmt.Errorf("role %s was not created, so its permissions cannot be set", s.Label)
	}
	var change struct {
		Add    []permission `json:"add"`
		Remove []string     `json:"remove"`
	}
	if err := json.Unmarshal(s.Body, &change); err != nil {
		return fmt.Errorf("step body: %w", err)
	}
	sub := rk.Subs[0]
	for _, pid := range change.Remove {
		_, err := e.send(ctx, s, sub.Remove, map[string]string{"id": roleID, "permission": pid}, nil)
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
	}
	for _, p := range change.Add {
		if err := e.addPermission(ctx, s, rk, roleID, p); err != nil {
			return fmt.Errorf("%s on %s: %w", p.Action, p.Entity, err)
		}
	}
	s.Result = &Result{Status: StatusDone, TargetID: roleID}
	return nil
}

func (e *Engine) roleTarget(s *Step) (string, bool) {
	if s.TargetID != "" {
		return s.TargetID, true
	}
	return e.target(kind.Roles, s.SourceID)
}

func (e *Engine) addPermission(ctx context.Context, s *Step, rk *kind.Kind, roleID string, p permission) error {
	body := map[string]any{"entity": p.Entity, "action": p.Action, "rules": p.Rules}
	var lastErr error
	for range 3 {
		has, err := e.roleHas(ctx, s, rk, roleID, p)
		if err != nil {
			return err
		}
		if has {
			return nil
		}
		_, err = e.send(ctx, s, rk.Subs[0].Add, map[string]string{"id": roleID}, body)
		if err == nil || !ambiguous(err) {
			return err
		}
		lastErr = err
	}
	return lastErr
}

// roleHas reports whether the target role has permission p with its rules.
func (e *Engine) roleHas(ctx context.Context, s *Step, rk *kind.Kind, roleID string, p permission) (bool, error) {
	raw, err := e.send(ctx, s, rk.Get, map[string]string{"id": roleID}, nil)
	if err != nil {
		return false, err
	}
	role := &Obj{Raw: raw}
	for _, h := range permissionsOf(role) {
		if h.Entity == p.Entity && h.Action == p.Action && jsonv.Equal(h.Rules, normalizeJSON(p.Rules)) {
			return true, nil
		}
	}
	return false, nil
}

// normalizeJSON re-decodes a value so that it holds only what jsonv.Decode
// returns (numbers as json.Number).
func normalizeJSON(v any) any {
	out, err := decodeRaw(marshalRaw(v))
	if err != nil {
		return v
	}
	return out
}

// writeGroupUsers adds and removes a group's members. Adding a member the
// group has changes nothing, so a lost answer is simply sent again.
func (e *Engine) writeGroupUsers(ctx context.Context, s *Step) error {
	gk, _ := kind.ByName(kind.Groups)
	groupID := s.TargetID
	if groupID == "" {
		var ok bool
		if groupID, ok = e.target(kind.Groups, s.SourceID); !ok {
			return fmt.Errorf("group %s was not created, so its members cannot be set", s.Label)
		}
	}
	var change struct {
		Add    []any    `json:"add"`
		Remove []string `json:"remove"`
	}
	v, err := decodeRaw(s.Body)
	if err != nil {
		return fmt.Errorf("step body: %w", err)
	}
	if err := json.Unmarshal(marshalRaw(v), &change); err != nil {
		return fmt.Errorf("step body: %w", err)
	}
	sub := gk.Subs[0]
	var add []any
	for _, u := range change.Add {
		if id, ok := e.target(kind.Members, text(u)); ok {
			add = append(add, e.idValue(kind.Members, id, u))
		}
	}
	params := map[string]string{"id": groupID}
	if len(change.Remove) > 0 {
		var ids []any
		for _, id := range change.Remove {
			ids = append(ids, e.idValue(kind.Members, id, json.Number("0")))
		}
		if err := e.retryAmbiguous(ctx, s, sub.Remove, params, map[string]any{"users": ids}); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if err := e.retryAmbiguous(ctx, s, sub.Add, params, map[string]any{"users": add}); err != nil {
			return err
		}
	}
	s.Result = &Result{Status: StatusDone, TargetID: groupID}
	return nil
}

// retryAmbiguous sends a write whose repetition is harmless up to three
// times while its answer is lost.
func (e *Engine) retryAmbiguous(ctx context.Context, s *Step, route string, params map[string]string, body any) error {
	var err error
	for range 3 {
		if _, err = e.send(ctx, s, route, params, body); err == nil || !ambiguous(err) {
			return err
		}
	}
	return err
}
