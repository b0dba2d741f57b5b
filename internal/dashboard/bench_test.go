package dashboard_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/dashboard"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BenchmarkPages measures the overview and a snapshot page of 10,000
// changes over a database of 1,000 snapshots of a 100,000-item workspace:
//
//	go test ./internal/dashboard -run '^$' -bench Pages -benchtime 10x
//
// The database is built cheaply, outside the timed part: two snapshots are
// written through the snapshot package (100,000 items, then the same with
// 10,000 of them changed), and 998 more records are copies of the first
// one's record under new ids and times, written straight into the
// snapshots and runs buckets: full snapshots of 100,000 items that share
// its trees, as unchanged backups do. The changed snapshot comes last, so
// its page compares it with a copy of the first: 10,000 changes.
func BenchmarkPages(b *testing.B) {
	const items, changes, snaps = 100_000, 10_000, 1_000
	path := filepath.Join(b.TempDir(), "bench.db")
	changed := buildBenchDB(b, path, items, changes, snaps)
	cfg, err := config.Parse(strings.NewReader(fmt.Sprintf(`database: %q
environments:
  production: {base_url: "http://127.0.0.1:1", api_key_file: key}
workspaces:
  - name: acme
    environment: production
`, path)), "bench.yaml", config.Options{NoSecrets: true})
	if err != nil {
		b.Fatal(err)
	}
	db, err := snapshot.Open(path, snapshot.Options{ReadOnly: true, Timeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	svc, err := app.New(app.Options{Config: cfg, DB: db})
	if err != nil {
		b.Fatal(err)
	}
	h := dashboard.New(svc, dashboard.Options{})
	// The comparison alone, as diff computes it: the rest of a snapshot
	// page's time is the dashboard's.
	b.Run("snapshot-compare", func(b *testing.B) {
		runtime.GC()
		b.ResetTimer()
		cpu := cpuTime()
		for range b.N {
			v, err := svc.SnapshotChanges("acme", changed)
			if err != nil || len(v.Result.Changes) != changes {
				b.Fatalf("SnapshotChanges: %v", err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/page")
	})
	for _, page := range []struct{ name, path, want string }{
		{"overview", "/", `data-name="acme"`},
		{"snapshot", "/workspaces/acme/snapshots/" + changed, "items (10000)"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var size int
			runtime.GC() // the build's garbage is not the page's cost
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				rec := &discard{header: http.Header{}}
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, page.path, nil))
				if rec.code != http.StatusOK || !strings.Contains(string(rec.head), page.want) {
					b.Fatalf("%s: %d, want 200 with %q", page.path, rec.code, page.want)
				}
				size = rec.n
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/page")
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

// discard is a ResponseWriter that keeps the status, the first 256 KiB
// and the size, as a client reading the page off the network would cost
// the server nothing more.
type discard struct {
	header http.Header
	code   int
	head   []byte
	n      int
}

func (d *discard) Header() http.Header  { return d.header }
func (d *discard) WriteHeader(code int) { d.code = code }
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	if room := 256<<10 - len(d.head); room > 0 {
		d.head = append(d.head, p[:min(room, len(p))]...)
	}
	d.n += len(p)
	return len(p), nil
}

// buildBenchDB writes the benchmark's database and returns the id of the
// changed snapshot.
func buildBenchDB(b *testing.B, path string, items, changes, snaps int) string {
	b.Helper()
	db, err := snapshot.Open(path, snapshot.Options{Logger: slog.New(slog.DiscardHandler), BatchObjects: 20_000, BatchBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := writeItems(b, db, t0, items, 0)
	last := writeItems(b, db, t0.Add(time.Duration(snaps)*time.Hour), items, changes)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	bolt, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer bolt.Close()
	err = bolt.Update(func(tx *bbolt.Tx) error {
		for i := 1; i < snaps-1; i++ {
			s := *base
			s.ID = fmt.Sprintf("%016x", i)
			s.StartedAt = t0.Add(time.Duration(i) * time.Hour)
			s.FinishedAt = s.StartedAt.Add(90 * time.Second)
			s.AddedBytes = 2048
			rec, err := json.Marshal(s)
			if err != nil {
				return err
			}
			if err := tx.Bucket([]byte("snapshots")).Put([]byte(s.ID), rec); err != nil {
				return err
			}
			run, err := json.Marshal(snapshot.Run{ID: s.ID, Workspace: s.Workspace, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
				Outcome: snapshot.OutcomeComplete, Objects: s.Objects})
			if err != nil {
				return err
			}
			if err := tx.Bucket([]byte("runs")).Put([]byte(s.ID), run); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return last.ID
}

// writeItems commits a snapshot of n items of type clients, c of them
// (spread evenly) with another city, and the kinds failed as not read.
func writeItems(b testing.TB, db *snapshot.DB, at time.Time, n, c int, failed ...string) *snapshot.Snapshot {
	b.Helper()
	w, err := db.Begin("acme", at)
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	for i := range n {
		city := "São Paulo"
		if c > 0 && (i*c)/n != ((i+1)*c)/n {
			city = "Lisboa"
		}
		buf = fmt.Appendf(buf[:0], `{"id":%d,"type":"clients","data":{"name":"Cliente %d Comércio Ltda","city":%q,"segment":"smb",`+
			`"email":"contato%d@example.com"},"created_at":"2025-01-15T10:00:00.000000Z","updated_at":"2025-06-01T09:30:00.000000Z"}`, i+1, i+1, city, i+1)
		if err := w.Put("items", "clients", strconv.Itoa(i+1), buf); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range failed {
		w.Fail(k, fmt.Errorf("list %s: 503 Service Unavailable", k))
	}
	s, err := w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(2 * time.Minute), Walked: append([]string{"items"}, failed...)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
