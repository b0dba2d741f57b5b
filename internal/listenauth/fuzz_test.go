package listenauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzGuard feeds the guard hostile Host and Authorization headers: it
// must never panic, never let a request in without the token, and answer
// 421 to any Host it does not know.
func FuzzGuard(f *testing.F) {
	for _, s := range [][2]string{
		{"127.0.0.1:9464", "Bearer " + testToken},
		{"localhost", "bearer " + testToken + " "},
		{"[::1]:9464", "Bearer"},
		{"evil.example", "Basic Zm9vOmJhcg=="},
		{"[fe80::1%eth0]:1", "Bearer \x00"},
		{"backup.example.", " Bearer  " + testToken[:20]},
		{"", ""},
		{"LOCALHOST.:80", "Bearer " + strings.Repeat("a", 4096)},
	} {
		f.Add(s[0], s[1])
	}
	g := newGuard(f, nil)
	h := g.Protect(ok)
	f.Fuzz(func(t *testing.T, host, auth string) {
		r := httptest.NewRequest("GET", "/v1/status", nil)
		r.Host = host
		r.Header["Authorization"] = []string{auth}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		name := hostName(host)
		known := name == "localhost" || name == "backup.example" || name == "listen.example"
		withToken := strings.TrimSpace(auth) != "" && strings.Contains(auth, testToken)
		switch {
		case !known && rec.Code != http.StatusMisdirectedRequest:
			t.Errorf("Host %q = %d, want 421", host, rec.Code)
		case known && rec.Code == http.StatusOK && !withToken:
			t.Errorf("Authorization %q let the request in", auth)
		case rec.Code != http.StatusOK && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusMisdirectedRequest:
			t.Errorf("Host %q Authorization %q = %d", host, auth, rec.Code)
		}
	})
}
