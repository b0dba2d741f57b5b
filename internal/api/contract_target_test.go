package api_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// The contract suite's server is a choice. With these variables set it runs
// against that server (a real Enspace); unset, against the built-in fake,
// started per test. The key is read from a file so that it never sits in
// an environment value that a CI log or `ps e` could show
// (ENSPACE_CONTRACT_API_KEY is read too, for a one-off run at a terminal).
const (
	envBaseURL     = "ENSPACE_CONTRACT_BASE_URL"
	envKeyFile     = "ENSPACE_CONTRACT_API_KEY_FILE"
	envKey         = "ENSPACE_CONTRACT_API_KEY"
	envWorkspace   = "ENSPACE_CONTRACT_WORKSPACE"
	envAllowWrites = "ENSPACE_CONTRACT_ALLOW_WRITES"
)

// target is a server given through the environment.
type target struct {
	baseURL   string
	key       api.Secret
	workspace string
	writes    bool // ENSPACE_CONTRACT_ALLOW_WRITES=1: the write tests may change the workspace
}

// contractTarget returns the server the environment names, or ok false when
// none is named (the suite then uses the fake). A half-set environment
// fails the test rather than quietly testing the fake.
func contractTarget(t *testing.T) (target, bool) {
	t.Helper()
	tg := target{
		baseURL:   strings.TrimSpace(os.Getenv(envBaseURL)),
		workspace: strings.TrimSpace(os.Getenv(envWorkspace)),
		writes:    os.Getenv(envAllowWrites) == "1",
	}
	keyFile, key := os.Getenv(envKeyFile), os.Getenv(envKey)
	if tg.baseURL == "" && tg.workspace == "" && keyFile == "" && key == "" {
		return target{}, false
	}
	switch {
	case keyFile != "":
		b, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatalf("%s: %v", envKeyFile, err)
		}
		key = string(b)
	case key == "":
		t.Fatalf("%s is set but neither %s nor %s: the contract suite needs a key for that server", envBaseURL, envKeyFile, envKey)
	}
	tg.key = api.Secret(strings.TrimSpace(key))
	if tg.baseURL == "" || tg.workspace == "" || tg.key == "" {
		t.Fatalf("the contract suite against a real server needs %s, %s (or %s) and %s, all non-empty",
			envBaseURL, envKeyFile, envKey, envWorkspace)
	}
	return tg, true
}

// real reports whether e talks to a server given through the environment.
func (e *env) real() bool { return e.srv == nil }

// needFake skips the test against a real server: what it checks needs the
// fake's knowledge (its seeded data, its request counts) or its fault
// injection. why says which.
func needFake(t *testing.T, e *env, why string) {
	t.Helper()
	if e.real() {
		t.Skipf("skipped against a real server (%s): %s", e.base, why)
	}
}

// skipIfReal skips a test that would start a fake configured for it (with
// injected faults, other keys or other list shapes) when the suite runs
// against a real server.
func skipIfReal(t *testing.T, why string) {
	t.Helper()
	if _, ok := contractTarget(t); ok {
		t.Skipf("skipped against a real server: %s", why)
	}
}

// needWrites skips a test that writes into the workspace against a real
// server unless ENSPACE_CONTRACT_ALLOW_WRITES=1.
func needWrites(t *testing.T) {
	t.Helper()
	if tg, ok := contractTarget(t); ok && !tg.writes {
		t.Skipf("skipped against a real server: it creates, updates and deletes objects in workspace %q; set %s=1 to allow it (on a scratch workspace seeded like the fake's demo)",
			tg.workspace, envAllowWrites)
	}
}

// TestContractEnvTarget runs the suite's real-server route in CI: it starts
// the fake on 127.0.0.1 and names it through the environment, as a user
// names a real Enspace, then runs the read contract against it, and the
// write contract only once writes are allowed.
func TestContractEnvTarget(t *testing.T) {
	const key = "en.EnvTargetContractKey01234567890123"
	start := func(t *testing.T) *fakeapi.Server {
		srv, err := fakeapi.New(fakeapi.Options{APIKeys: []fakeapi.Key{{Secret: key, Scopes: allScopes}}})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv) // listens on 127.0.0.1
		t.Cleanup(hs.Close)
		keyFile := filepath.Join(t.TempDir(), "key")
		if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(envBaseURL, hs.URL)
		t.Setenv(envKeyFile, keyFile)
		t.Setenv(envKey, "")
		t.Setenv(envWorkspace, "acme")
		t.Setenv(envAllowWrites, "")
		return srv
	}

	t.Run("reads", func(t *testing.T) {
		srv := start(t)
		if e := newEnv(t, setup{}); !e.real() || e.ws != "acme" {
			t.Fatalf("newEnv with %s set: real %v, workspace %q; want the environment's server", envBaseURL, e.real(), e.ws)
		}
		before := srv.Requests().Total
		contractReads(t)
		if srv.Requests().Total == before {
			t.Error("the read contract sent no request to the server the environment names")
		}
	})

	t.Run("writes refused without leave", func(t *testing.T) {
		srv := start(t)
		ran := false
		t.Run("writes", func(t *testing.T) {
			contractWrites(t)
			ran = true
		})
		if ran || srv.Requests().Total != 0 {
			t.Errorf("the write contract ran against a real server without %s=1", envAllowWrites)
		}
	})

	t.Run("writes with leave", func(t *testing.T) {
		srv := start(t)
		t.Setenv(envAllowWrites, "1")
		contractWrites(t)
		if srv.Requests().ByRoute["items.create"] == 0 {
			t.Error("the write contract created nothing on the server the environment names")
		}
	})

	t.Run("fault tests skipped", func(t *testing.T) {
		start(t)
		ran := false
		t.Run("faults", func(t *testing.T) {
			skipIfReal(t, "fault injection needs the built-in fake")
			ran = true
		})
		if ran {
			t.Error("a fault-injection test ran against a real server")
		}
	})
}
