package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestBackupOfSeveralInterrupted: a backup of three workspaces stopped by
// SIGINT while it backs up the second exits 130, and its last line says
// that nothing of the second was stored, which workspace was stored in
// this run (with its snapshot id) and which was not started, not only
// "nothing was stored"; with --json a last line lists the same.
func TestBackupOfSeveralInterrupted(t *testing.T) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	good := httptest.NewServer(srv)
	defer good.Close()
	for _, asJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", asJSON), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cutting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				cancel() // Ctrl-C as the second workspace starts
				srv.ServeHTTP(w, r)
			}))
			defer cutting.Close()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`database: %s
log: {level: warn}
environments:
  local:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
  cut:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
workspaces:
  - name: acme
    environment: local
  - name: beta
    slug: acme
    environment: cut
  - name: gamma
    slug: acme
    environment: local
`, filepath.Join(dir, "db", "enspace-sync.db"), good.URL, cutting.URL)), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"backup", "--config", cfg}
			if asJSON {
				args = append(args, "--json")
			}
			code, out, errs := runMain(ctx, args...)
			if code != ExitInterrupted {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInterrupted, out, errs)
			}
			var id string
			if asJSON {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				var first struct {
					ShortID string `json:"short_id"`
				}
				if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.ShortID == "" {
					t.Fatalf("first line %q: %v", lines[0], err)
				}
				id = first.ShortID
				var last struct {
					Workspace, Status string
					Stored            []struct {
						Workspace, ID string
						ShortID       string `json:"short_id"`
					}
					Failed     []string
					NotStarted []string `json:"not_started"`
				}
				if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &last) != nil {
					t.Fatalf("want a snapshot line and an interrupted line:\n%s", out)
				}
				if last.Workspace != "beta" || last.Status != "aborted" || len(last.Stored) != 1 ||
					last.Stored[0].Workspace != "acme" || last.Stored[0].ShortID != id || len(last.Stored[0].ID) <= len(id) ||
					last.Failed == nil || len(last.Failed) != 0 || strings.Join(last.NotStarted, ",") != "gamma" {
					t.Errorf("interrupted line: %s\nparsed %+v", lines[1], last)
				}
			} else {
				got := regexp.MustCompile(`snapshot ([0-9a-f]{8}) of acme`).FindStringSubmatch(out)
				if got == nil {
					t.Fatalf("acme not stored:\n%s", out)
				}
				id = got[1]
			}
			want := "enspace-sync: backup of beta interrupted: nothing of beta was stored; stored in this run: acme (snapshot " + id + "); not started: gamma"
			if !strings.HasSuffix(errs, want+"\n") { // the whole last line: no ": context canceled" after "not started: gamma"
				t.Errorf("stderr does not say what the run stored:\n%s\nwant %q", errs, want)
			}
		})
	}
}

// TestBackupInterruptedBetweenWorkspaces: a backup stopped before a
// workspace started (Ctrl-C while the one before it was committed, or
// before the first) does not start it, nor call it the one interrupted
// ("backup of acme interrupted: nothing of acme was stored"): it lists it
// as not started.
func TestBackupInterruptedBetweenWorkspaces(t *testing.T) {
	_, cfg := demoConfig(t)
	appendConfig(t, cfg, "  - name: beta\n    slug: acme\n    environment: local\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := runMain(ctx, "backup", "--config", cfg, "--json")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, stderr)
	}
	want := "enspace-sync: backup interrupted before acme started: stored in this run: none; not started: acme, beta\n"
	if !strings.HasSuffix(stderr, want) {
		t.Errorf("stderr:\n%s\nwant it to end in %q", stderr, want)
	}
	var last struct {
		Workspace  string
		NotStarted []string `json:"not_started"`
	}
	if err := json.Unmarshal([]byte(stdout), &last); err != nil || last.Workspace != "" || strings.Join(last.NotStarted, ",") != "acme,beta" {
		t.Errorf("--json line %s: %+v", stdout, last)
	}
}
