package fakeapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequest sends arbitrary methods, paths and bodies: the server must
// answer every one with a status and, when it says JSON, valid JSON.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "/ws/types/contracts/items", `{"data":{"number":"A","client":1001,"value":1e400}}`)
	f.Add("PUT", "/ws/types/contracts/fields/25", `{"type":"relation","options":{"type":"contracts","multiple":true}}`)
	f.Add("POST", "/ws/members", `{"email":"x@y","type":"viewer","mgroups":[300,300]}`)
	f.Add("POST", "/ws/roles", `{"name":"R","permissions":[{"entity":"a","action":"read","rules":[]}]}`)
	f.Add("POST", "/ws/quick-tasks", `{"title":"t","item":{"type":"contracts","id":-1},"assignees":{"members":null}}`)
	f.Add("POST", "/workspace-integrations", `{"integration":1,"data":{"token":{"nested":true}}}`)
	f.Add("POST", "/c-flow-tasks", `{"stage":1,"name":"n","action":"form_fill","form":3,"assignees":{"roles":[5]}}`)
	f.Add("DELETE", "/ws/member-groups/300/users", `{"users":"all"}`)
	f.Add("GET", "/ws/types/%zz/items?page=-1&limit=1e9", ``)
	f.Add("GET", "/c-flow-stages?flow=99999999999999999999", ``)
	f.Add("POST", "/workspaces", `{"name":"ção","slug":"-"}`)
	s := newServer(f, Options{Items: 3})
	f.Fuzz(func(t *testing.T, method, path, body string) {
		method = strings.ToUpper(method)
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") || strings.ContainsAny(method, " \t\r\n/") || method == "" {
			return
		}
		r := httptest.NewRequest("GET", "/", bytes.NewBufferString(body))
		r.Method = method
		u, err := r.URL.Parse(path)
		if err != nil {
			return
		}
		r.URL = u
		r.Header.Set("x-api-key", DemoAPIKey)
		r.Header.Set("en-workspace", "acme")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("%s %s: status %d", method, path, w.Code)
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && method != "HEAD" && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON %.200s", method, path, w.Body.Bytes())
		}
	})
}
