// Package dashtest builds, for the dashboard's tests, a database of real
// backups: the demo's tour (internal/demo) run against the fake Enspace
// API, which leaves the workspaces acme (three snapshots, the second with
// the anomaly "type contracts disappeared") and acme-stage (one
// replication's target).
package dashtest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/demo"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

var (
	once    sync.Once
	dir     string
	demoErr error
)

// Main runs the tests of a package that calls Demo, then removes the
// demo's directory; call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if dir != "" {
		_ = os.RemoveAll(filepath.Dir(dir))
	}
	return code
}

// Demo runs the demo's tour once per test binary into a temporary
// directory (removed by Main), and returns the path of its config.
func Demo(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		d, err := os.MkdirTemp("", "enspace-sync-dashtest-*")
		if err != nil {
			demoErr = err
			return
		}
		dir = filepath.Join(d, "demo")
		demoErr = demo.Run(context.Background(), demo.Options{Stdout: io.Discard, Stderr: io.Discard, Keep: dir, Fast: true, Version: "test"})
	})
	if demoErr != nil {
		t.Fatalf("the demo's tour failed: %v", demoErr)
	}
	return filepath.Join(dir, "config.yaml")
}

// Open opens the config's database read-only, as `enspace-sync ui` does,
// and returns the core over it; the database closes when the test ends.
func Open(t testing.TB, cfgPath string) *app.Service {
	t.Helper()
	cfg, err := config.Load(cfgPath, config.Options{NoSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(cfg.Database, app.OpenOptions{ReadOnly: true, Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc, err := app.New(app.Options{Config: cfg, DB: st.DB})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// Snapshots returns the workspace's snapshots, oldest first.
func Snapshots(t testing.TB, svc *app.Service, workspace string) []*snapshot.Snapshot {
	t.Helper()
	snaps, err := svc.DB().Snapshots(workspace)
	if err != nil {
		t.Fatal(err)
	}
	return snaps
}
