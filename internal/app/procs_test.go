package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func TestNextProcs(t *testing.T) {
	for _, c := range []struct {
		procs          int
		cores, waiting float64
		want           int
	}{
		{1, 0.2, 0.3, 1},
		{1, 0.74, 1.9, 1},
		{1, 0.9, 0, 0},   // busy: up to the default
		{1, 0.5, 4.0, 0}, // starved (a loaded machine): up too
		{2, 1.5, 0, 2},
		{2, 0.6, 0, 2},   // between the marks: stays
		{2, 0.3, 1.5, 2}, // still waiting for a processor: stays
		{2, 0.3, 0.5, 1},
		{8, 0.1, 0, 1},
	} {
		if got := nextProcs(c.procs, c.cores, c.waiting); got != c.want {
			t.Errorf("nextProcs(%d, %.2f, %.2f) = %d, want %d", c.procs, c.cores, c.waiting, got, c.want)
		}
	}
}

// TestGovernorRaises: the governor's raise gives the runtime its default
// (nextProcs says 0 for it), not one processor.
func TestGovernorRaises(t *testing.T) {
	skipUngoverned(t)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(1)
	t.Cleanup(runtime.SetDefaultGOMAXPROCS)
	setProcs(nextProcs(1, 0.9, 0))
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Fatalf("GOMAXPROCS %d after a busy tick, want the default %d", got, def)
	}
	setProcs(nextProcs(def, 0.1, 0))
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS %d after an idle tick, want 1", got)
	}
}

// skipUngoverned skips where the governor stays off.
func skipUngoverned(t *testing.T) {
	t.Helper()
	if os.Getenv("GOMAXPROCS") != "" || runtime.NumCPU() < 2 || processCPU() < 0 {
		t.Skip("the governor is off here (GOMAXPROCS set, one core or no process CPU time)")
	}
}

// TestGovernProcsShared: overlapping users share the governor; the
// processors come back to the runtime's default when the last leaves, and
// leaving twice counts once.
func TestGovernProcsShared(t *testing.T) {
	skipUngoverned(t)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	a := governProcs()
	b := governProcs()
	if got := runtime.GOMAXPROCS(0); got != 1 && got != def {
		t.Fatalf("GOMAXPROCS %d while governed, want 1 (or the default %d after a busy tick)", got, def)
	}
	a()
	a() // once only: b still governs
	governor.mu.Lock()
	users := governor.users
	governor.mu.Unlock()
	if users != 1 {
		t.Fatalf("%d users after one of two left (twice), want 1", users)
	}
	b()
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Fatalf("GOMAXPROCS %d after the last user left, want the default %d", got, def)
	}
}

// TestBackupGovernsProcs: a backup fetches on one processor (the API is
// idle-bound here: 150 items, no latency, done before the first tick) and
// gives the default back before it returns.
func TestBackupGovernsProcs(t *testing.T) {
	skipUngoverned(t)
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 150})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]int{} // GOMAXPROCS -> requests that saw it
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[runtime.GOMAXPROCS(0)]++
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("database: %s\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n    requests_per_second: 0\n"+
		"workspaces:\n  - name: acme\n    environment: local\n", filepath.Join(dir, "db"), hs.URL)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := snapshot.Open(cfg.Database, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Backup(context.Background(), BackupRequest{Workspace: "acme"}); err != nil {
		t.Fatal(err)
	}
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Fatalf("GOMAXPROCS %d after the backup, want the default %d", got, def)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[1] == 0 {
		t.Fatalf("requests by GOMAXPROCS: %v: none on one processor", seen)
	}
}
