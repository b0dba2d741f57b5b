package fakeapi

import (
	"fmt"
	"strings"
	"testing"
)

// ownerAndOther returns the owner's member id and another member's.
func ownerAndOther(t *testing.T, s *Server) (int64, int64) {
	t.Helper()
	var owner, other int64
	for _, m := range list(t, s, "acme", "/ws/members") {
		if m["type"] == "owner" {
			owner = num(m["id"])
		} else if other == 0 {
			other = num(m["id"])
		}
	}
	return owner, other
}

func TestOwnerRules(t *testing.T) {
	s := newServer(t, Options{})
	owner, _ := ownerAndOther(t, s)
	path := fmt.Sprintf("/ws/members/%d", owner)
	tests := []struct {
		method string
		body   any
		want   string
	}{
		{"PUT", map[string]any{"type": "full"}, "The workspace owner cannot be changed"},
		{"PUT", map[string]any{"status": "blocked"}, "The workspace owner cannot be changed"},
		{"DELETE", nil, "The workspace owner cannot be removed"},
	}
	for _, tt := range tests {
		a := do(t, s, req{method: tt.method, path: path, ws: "acme", body: tt.body})
		want := `{"statusCode":400,"error":"Bad Request","message":"` + tt.want + `"}`
		if a.status != 400 || string(a.body) != want {
			t.Errorf("%s owner: %d %s, want 400 %s", tt.method, a.status, a.body, want)
		}
	}
	owners := 0
	for _, m := range list(t, s, "acme", "/ws/members") {
		if m["type"] == "owner" {
			owners++
		}
	}
	if owners != 1 {
		t.Errorf("%d owners", owners)
	}
}

func TestMemberTypeTransitions(t *testing.T) {
	s := newServer(t, Options{})
	_, other := ownerAndOther(t, s)
	path := fmt.Sprintf("/ws/members/%d", other)
	tests := []struct {
		body       map[string]any
		wantStatus int
		wantType   string
	}{
		{map[string]any{"type": "viewer"}, 200, "viewer"},
		{map[string]any{"type": "standard"}, 200, "standard"},
		{map[string]any{"type": "full"}, 200, "full"},
		{map[string]any{"type": "owner"}, 400, "full"},
		{map[string]any{"type": "admin"}, 400, "full"},
		{map[string]any{"status": "blocked"}, 200, "full"},
		{map[string]any{"status": "gone"}, 400, "full"},
		{map[string]any{"role": 999}, 400, "full"},
	}
	for _, tt := range tests {
		a := do(t, s, req{method: "PUT", path: path, ws: "acme", body: tt.body})
		if a.status != tt.wantStatus {
			t.Errorf("PUT %v: status %d, want %d (%s)", tt.body, a.status, tt.wantStatus, a.body)
		}
		var m memberView
		mustJSON(t, get(t, s, "acme", path), &m)
		if m.Type != tt.wantType {
			t.Errorf("after PUT %v: type %s, want %s", tt.body, m.Type, tt.wantType)
		}
	}
	m := send(t, s, "PUT", "acme", path, map[string]any{"role": 5, "status": "inactive"})
	if num(m["role"]) != 5 || m["status"] != "inactive" {
		t.Errorf("role and status: %v", m)
	}
	if m := send(t, s, "PUT", "acme", path, map[string]any{"role": nil}); m["role"] != nil {
		t.Errorf("role null: %v", m["role"])
	}
}

func TestMemberCreate(t *testing.T) {
	s := newServer(t, Options{})
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantRole   any
		wantMsg    string
	}{
		{"missing fields", map[string]any{}, 400, nil, `["email should not be empty","type should not be empty"]`},
		{"owner type", map[string]any{"email": "a@acme.com", "type": "owner"}, 400, nil, "type must be one of"},
		{"duplicate email", map[string]any{"email": "Carla.Mendes@acme.com", "type": "viewer"}, 400, nil, "already exists"},
		{"unknown role", map[string]any{"email": "b@acme.com", "type": "standard", "role": 999}, 400, nil, "Role 999 not found"},
		{"v1 viewer", map[string]any{"email": "c@acme.com", "type": "viewer", "v1_compatibility": true}, 400, nil, "full, standard"},
		{"v1 full ignores role", map[string]any{"email": "d@acme.com", "type": "full", "role": 5, "v1_compatibility": true}, 200, nil, ""},
		{"v1 standard keeps role", map[string]any{"email": "e@acme.com", "type": "standard", "role": 5, "v1_compatibility": true}, 200, float64(5), ""},
		{"viewer", map[string]any{"email": "f@acme.com", "type": "viewer", "fname": "Fábio", "lname": "Reis", "mgroups": []int{300}}, 200, nil, ""},
		{"unknown group", map[string]any{"email": "g@acme.com", "type": "viewer", "mgroups": []int{1}}, 400, nil, "groups not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, s, req{method: "POST", path: "/ws/members", ws: "acme", body: tt.body})
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", a.status, tt.wantStatus, a.body)
			}
			if !strings.Contains(string(a.body), tt.wantMsg) {
				t.Errorf("body %s lacks %s", a.body, tt.wantMsg)
			}
			if a.status != 200 {
				return
			}
			var m map[string]any
			mustJSON(t, a.body, &m)
			if m["role"] != tt.wantRole || m["status"] != "active" {
				t.Errorf("member %s", a.body)
			}
			u := m["user"].(map[string]any)
			if u["email"] != tt.body["email"] || num(u["id"]) == num(m["id"]) {
				t.Errorf("embedded user %v of member %v", u, m["id"])
			}
		})
	}
	var g groupView
	mustJSON(t, get(t, s, "acme", "/ws/member-groups/300"), &g)
	if len(g.Users) != 3 {
		t.Errorf("mgroups: group users %v", g.Users)
	}
}

func TestRemovedMemberLeavesGroups(t *testing.T) {
	s := newServer(t, Options{})
	var g groupView
	mustJSON(t, get(t, s, "acme", "/ws/member-groups/300"), &g)
	send(t, s, "DELETE", "acme", fmt.Sprintf("/ws/members/%d", g.Users[0]), nil)
	mustJSON(t, get(t, s, "acme", "/ws/member-groups/300"), &g)
	if len(g.Users) != 1 {
		t.Errorf("group users after removal: %v", g.Users)
	}
	if a := do(t, s, req{method: "GET", path: "/ws/members/99999", ws: "acme"}); a.status != 404 {
		t.Errorf("unknown member: %d", a.status)
	}
}
