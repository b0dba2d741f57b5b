package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestOffsiteRoundTrip pushes five days of two workspaces (one day
// partial, one with changes, anomalies and a protected snapshot) to a
// file:// target, rebuilds a database with RestoreDB, and checks that
// every snapshot has the same record and objects, and every pair of
// consecutive snapshots the same diff, as in the original.
func TestOffsiteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 5; d++ {
		for _, ws := range []string{"acme", "beta"} {
			writeRoundTripDay(t, db, ws, d)
		}
	}
	svc := offsiteTestService(t, dir, db, "round-trip-Password-1")
	ctx := context.Background()
	pushes, err := svc.OffsitePush(ctx, "")
	if err != nil || len(pushes) != 1 || len(pushes[0].Pushed) != 10 {
		t.Fatalf("push = %+v, %v", pushes, err)
	}
	if v, err := svc.OffsiteVerify(ctx, "nas", true); err != nil || len(v[0].Problems) != 0 {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "round-trip-Password-1", To: filepath.Join(dir, "new", "restored.db")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Snapshots) != 10 {
		t.Fatalf("restored %d snapshots", len(rep.Snapshots))
	}
	got, err := snapshot.Open(rep.To, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for _, ws := range []string{"acme", "beta"} {
		a, _ := db.Snapshots(ws)
		b, _ := got.Snapshots(ws)
		if len(a) != 5 || len(b) != 5 {
			t.Fatalf("%s: %d and %d snapshots", ws, len(a), len(b))
		}
		for i := range a {
			ja, _ := json.Marshal(recordSansRoots(a[i]))
			jb, _ := json.Marshal(recordSansRoots(b[i]))
			if string(ja) != string(jb) {
				t.Errorf("record differs:\n%s\n%s", ja, jb)
			}
			if !reflect.DeepEqual(objectsOf(t, db, a[i]), objectsOf(t, got, b[i])) {
				t.Errorf("%s %s: objects differ", ws, a[i].ID)
			}
			if i > 0 {
				da, err := compareSnapshots(db, a[i-1], a[i], nil)
				if err != nil {
					t.Fatal(err)
				}
				dbb, err := compareSnapshots(got, b[i-1], b[i], nil)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(da.Changes, dbb.Changes) {
					t.Errorf("%s: diff %s..%s differs", ws, a[i-1].ID, a[i].ID)
				}
			}
		}
	}
	if rep, err := got.Verify(true, nil); err != nil || len(rep.Problems) != 0 {
		t.Errorf("verify of the rebuilt database = %+v, %v", rep, err)
	}
	// A wrong password is ErrPassword and never printed.
	_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "Wrong-Password-2", To: filepath.Join(dir, "x.db")})
	if !errors.Is(err, offsite.ErrPassword) || strings.Contains(err.Error(), "Wrong-Password-2") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("a failed restore-db left its database")
	}
}

func recordSansRoots(s *snapshot.Snapshot) snapshot.Snapshot {
	c := *s
	c.Collections = nil
	return c
}

func objectsOf(t *testing.T, db *snapshot.DB, s *snapshot.Snapshot) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range db.Collections(s) {
		err := db.WalkObjects(s, c, func(key string, raw []byte) error {
			out[c+"\x00"+key] = string(raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// openOrigDB opens dir/orig.db, the database offsiteTestService backs
// up, and closes it when the test ends.
func openOrigDB(t *testing.T, dir string) *snapshot.DB {
	t.Helper()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeRoundTripDay commits day d of ws: 300 items whose d-th tenth
// changed, a type that disappears on day 4 (an anomaly that protects day
// 3), and on day 2 a partial snapshot (roles could not be read).
func writeRoundTripDay(t *testing.T, db *snapshot.DB, ws string, d int) {
	t.Helper()
	at := time.Date(2026, 3, d, 3, 0, 0, 0, time.UTC)
	w, err := db.Begin(ws, at)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		rev := 0
		if i%10 < d {
			rev = d
		}
		if err := w.Put("items", "clients", fmt.Sprint(i+1), fmt.Appendf(nil, `{"id":%d,"name":"client %d","n":1.50,"rev":%d}`, i+1, i+1, rev)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Put("types", "", "clients", []byte(`{"slug":"clients"}`)); err != nil {
		t.Fatal(err)
	}
	if d < 4 {
		if err := w.Put("types", "", "contracts", []byte(`{"slug":"contracts"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if d == 2 {
		w.Fail("roles", errors.New("roles: 503 after 5 attempts"))
	}
	prev, _ := db.Snapshots(ws)
	info := snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Requests: int64(10 + d), Walked: []string{"items", "types", "roles"},
		Config: map[string]any{"workspace": ws}, Counts: map[string]int{"items": 300}}
	if len(prev) > 0 {
		last := prev[len(prev)-1]
		info.Annotate = func(s *snapshot.Snapshot) (*snapshot.Annotation, error) {
			note := &snapshot.Annotation{Changes: &snapshot.Changes{Since: last.ID, Summary: map[string]snapshot.ChangeCounts{"items": {Changed: 30}}}}
			if d == 4 {
				note.Anomalies = []string{"type contracts disappeared"}
				note.Protect = map[string]string{last.ID: "last before a drop"}
			}
			return note, nil
		}
	}
	if _, err := w.Commit(info); err != nil {
		t.Fatal(err)
	}
}

// TestRunOffsitePush: the daemon's job pushes, then forgets what the local
// retention dropped; a wrong password fails at once, without retries, and
// is not printed.
func TestRunOffsitePush(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writeRoundTripDay(t, db, "acme", 1)
	writeRoundTripDay(t, db, "acme", 3)
	target := filepath.Join(dir, "t")
	load := func(password string) *Service {
		return namedOffsiteService(t, dir, db, password, "host-a", target)
	}
	svc := load("job-Password-3")
	if jobs := svc.Jobs(); jobs[len(jobs)-1] != (JobSpec{Name: "offsite:nas", Schedule: OffsiteCatchUp, Offsite: true, AfterBackup: true}) {
		t.Errorf("jobs = %+v", jobs)
	}
	res := svc.RunOffsitePush(context.Background(), OffsiteJob("nas"))
	if res.Status != StatusComplete || !strings.Contains(res.Summary, "pushed 2 snapshots to nas") || res.Offsite == nil || res.Offsite.Uploaded == 0 || res.Offsite.Pending != 0 {
		t.Fatalf("push job = %+v", res)
	}
	states, err := svc.OffsiteStates(context.Background(), "nas")
	if err != nil || len(states) != 1 || states[0].Snapshots != 2 || states[0].Pending != 0 || states[0].LastPushed.IsZero() {
		t.Errorf("states = %+v, %v", states, err)
	}
	writeRoundTripDay(t, db, "acme", 4)
	if states, err := svc.OffsiteStates(context.Background(), "nas"); err != nil || states[0].Pending != 1 {
		t.Errorf("states after a backup = %+v, %v", states, err)
	}
	snaps, _ := db.Snapshots("acme")
	if _, err := svc.Retain(RetainRequest{Workspaces: []string{"acme"}, Policy: func(*config.Workspace) snapshot.Policy { return snapshot.Policy{KeepLast: 1} }}); err != nil {
		t.Fatal(err)
	}
	res = svc.RunOffsitePush(context.Background(), OffsiteJob("nas"))
	if res.Status != StatusComplete || !strings.Contains(res.Summary, "pushed 1 snapshots") || !strings.Contains(res.Summary, "forgot 1") {
		t.Errorf("push job after retention = %+v (had %d snapshots)", res, len(snaps))
	}
	// A new, empty database under the same name forgets nothing.
	empty, err := snapshot.Open(filepath.Join(dir, "empty.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	fresh, err := New(Options{Config: svc.Config(), DB: empty})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := fresh.OffsiteForget(context.Background(), "nas"); err != nil || len(f[0].Forgotten) != 0 || f[0].Kept != 2 {
		t.Errorf("forget from an empty database = %+v, %v", f, err)
	}
	start := time.Now()
	res = load("other-Password-4").RunOffsitePush(context.Background(), OffsiteJob("nas"))
	if res.Status != StatusFailed || !strings.Contains(res.Error, "wrong password") || strings.Contains(res.Error, "other-Password-4") || time.Since(start) > 20*time.Second {
		t.Errorf("push job with a wrong password = %+v", res)
	}
}

// offsiteTestService is the program over db (dir/orig.db) with one
// offsite target, nas, at file://dir/target, whose password (in dir/pw)
// is password.
func offsiteTestService(t *testing.T, dir string, db *snapshot.DB, password string) *Service {
	t.Helper()
	return namedOffsiteService(t, dir, db, password, "host-a", filepath.Join(dir, "target"))
}

// namedOffsiteService is offsiteTestService for the daemon name and the
// target directory given.
func namedOffsiteService(t *testing.T, dir string, db *snapshot.DB, password, name, target string) *Service {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("en.abcdefghijklmnopqrstuvwxyz01234567"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf(`database: %s
name: %s
environments:
  production: {base_url: "http://127.0.0.1:1", api_key_file: key}
workspaces:
  - {name: acme, environment: production}
offsite:
  - {name: nas, url: "file://%s", password_file: pw}
`, filepath.Join(dir, "orig.db"), name, target)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
