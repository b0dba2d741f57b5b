package doctor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// setupFront is setup with front answering the paths it returns true
// for, before the fake.
func setupFront(t *testing.T, front func(w http.ResponseWriter, r *http.Request) bool) []*config.Workspace {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !front(w, r) {
			srv.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	yaml := "database: db.db\nenvironments:\n  local:\n    base_url: " + hs.URL + "\n    api_key: ${KEY}\n    requests_per_second: 0\n" +
		"workspaces:\n  - name: acme\n    environment: local\n"
	cfg, err := config.Parse(strings.NewReader(yaml), "config.yaml", config.Options{LookupEnv: func(k string) (string, bool) {
		return fakeapi.DemoAPIKey, k == "KEY"
	}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Workspaces
}

func answer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(fmt.Sprintf(`{"statusCode":%d,"message":"nope"}`, status)))
}

// TestAuthNotClaimedWithoutAnAcceptingProbe: when the key's list answers
// 404 and the workspace's context answers neither a success nor a
// refusal (400, 500), doctor does not say the key is accepted: the auth
// check fails, saying it could not be established and what answered.
func TestAuthNotClaimedWithoutAnAcceptingProbe(t *testing.T) {
	for _, status := range []int{400, 500} {
		ws := setupFront(t, func(w http.ResponseWriter, r *http.Request) bool {
			switch r.URL.Path {
			case "/user-api-keys":
				answer(w, 404)
				return true
			case "/workspaces/context":
				answer(w, status)
				return true
			}
			return false
		})
		rep, err := Run(context.Background(), Options{Workspaces: ws, Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		auth := byRoute(rep)["auth"]
		if auth.OK || strings.Contains(auth.Detail, "accepted") && !strings.Contains(auth.Detail, "no route accepted") ||
			!strings.Contains(auth.Detail, "could not be established") || !strings.Contains(auth.Detail, "/workspaces/context") {
			t.Errorf("%d on the context: auth check %+v, want a failed check saying it could not be established", status, auth)
		}
	}
}

// TestTwoMovedRoutesAreNotAWrongBaseURL: a correct base URL whose key
// list and workspace context answer 404 (moved) is not called wrong: the
// types list answers, the key is accepted, and the checks go on.
func TestTwoMovedRoutesAreNotAWrongBaseURL(t *testing.T) {
	ws := setupFront(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/user-api-keys" || r.URL.Path == "/workspaces/context" {
			answer(w, 404)
			return true
		}
		return false
	})
	rep, err := Run(context.Background(), Options{Workspaces: ws, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	checks := byRoute(rep)
	if c, ok := checks["base_url"]; ok {
		t.Errorf("base_url check %+v: the base URL is right", c)
	}
	if c := checks["auth"]; c.Verdict != VerdictOK {
		t.Errorf("auth check %+v, want ok (the types list accepted the key)", c)
	}
	if c := checks["types.list"]; c.Verdict != VerdictOK {
		t.Errorf("types.list %+v: the checks did not go on", c)
	}
}
