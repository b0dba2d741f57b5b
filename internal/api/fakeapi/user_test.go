package fakeapi

import (
	"bytes"
	"fmt"
	"testing"
)

func TestAPIKeysList(t *testing.T) {
	s := keyedServer(t)
	a := do(t, s, req{method: "GET", path: "/user-api-keys"})
	var keys []apiKeyView
	mustJSON(t, a.body, &keys)
	// Every key but Bruno's and the stranger's belongs to the demo owner.
	if len(keys) != 5 {
		t.Fatalf("%d keys: %s", len(keys), a.body)
	}
	for _, sec := range []string{DemoAPIKey, readKey, writeKey, acmeKey, expiredKey} {
		if bytes.Contains(a.body, []byte(sec[3:])) {
			t.Fatalf("a key list contains a secret")
		}
	}
	k := keys[3]
	if len(k.Reference) != 16 || fmt.Sprint(k.Scope.Workspaces) != "[acme]" || len(k.Scope.Global) != 3 {
		t.Errorf("acme key %+v", k)
	}
	if keys[4].ExpiresAt == nil || keys[0].ExpiresAt != nil {
		t.Errorf("expires_at: %v %v", keys[4].ExpiresAt, keys[0].ExpiresAt)
	}
	a = do(t, s, req{method: "GET", path: "/user-api-keys", key: brunoKey})
	mustJSON(t, a.body, &keys)
	if len(keys) != 1 || keys[0].Reference == "" {
		t.Errorf("bruno's keys %s", a.body)
	}
}

func TestRequestLog(t *testing.T) {
	s := keyedServer(t)
	do(t, s, req{method: "GET", path: "/ws/types?limit=5", ws: "acme"})
	do(t, s, req{method: "GET", path: "/ws/types", ws: "acme-stage", key: acmeKey})
	do(t, s, req{method: "GET", path: "/nowhere"})
	do(t, s, req{method: "GET", path: "/workspaces", key: "-"})
	var log []logEntry
	mustJSON(t, get(t, s, "", "/user-request-logs"), &log)
	if len(log) != 2 {
		t.Fatalf("log %+v", log)
	}
	first := log[0]
	if first.Method != "GET" || first.Path != "/ws/types?limit=5" || first.StatusCode != 200 ||
		first.Workspace == nil || *first.Workspace != "acme" || first.CreatedAt != "2026-03-11T20:02:10.058Z" {
		t.Errorf("first entry %+v", first)
	}
	if log[1].StatusCode != 404 || log[1].Workspace != nil {
		t.Errorf("second entry %+v", log[1])
	}
	var other []logEntry
	a := do(t, s, req{method: "GET", path: "/user-request-logs", key: acmeKey})
	mustJSON(t, a.body, &other)
	if len(other) != 1 || other[0].StatusCode != 403 {
		t.Errorf("acme key log %+v", other)
	}
	for i := 0; i < maxRequestLog+10; i++ {
		do(t, s, req{method: "GET", path: "/ws/types/count", ws: "acme"})
	}
	a = do(t, s, req{method: "GET", path: "/user-request-logs?limit=100&page=10"})
	mustJSON(t, a.body, &log)
	if len(log) != 100 || log[99].Path != "/ws/types/count" {
		t.Errorf("last page of a full log: %d entries", len(log))
	}
	a = do(t, s, req{method: "GET", path: "/user-request-logs?limit=100&page=11"})
	mustJSON(t, a.body, &log)
	if len(log) != 0 {
		t.Errorf("the log keeps more than %d entries", maxRequestLog)
	}
}
