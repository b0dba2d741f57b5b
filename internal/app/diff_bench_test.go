package app

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BenchmarkDiff compares two snapshots of one collection of items that
// differ in a given number of items, spread evenly over the collection:
//
//	go test ./internal/app -run '^$' -bench Diff -benchtime 5x
//
// The databases are built once per workspace size, outside the timed part;
// what is timed is compareSnapshots, whose cost should follow the number of
// changes and not the number of items: items=100000/changes=10 should take
// about as long as items=10000/changes=10. ns/change is the time per
// changed item.
func BenchmarkDiff(b *testing.B) {
	dir := b.TempDir()
	dbs := map[int]*diffBenchDB{} // by number of items, shared by its change counts
	b.Cleanup(func() {
		for _, d := range dbs {
			_ = d.db.Close()
		}
	})
	for _, n := range []int{10_000, 100_000} {
		for _, c := range []int{10, 10_000} {
			b.Run(fmt.Sprintf("items=%d/changes=%d", n, c), func(b *testing.B) {
				d := dbs[n]
				if d == nil {
					var err error
					if d, err = buildDiffBenchDB(filepath.Join(dir, fmt.Sprintf("items-%d.db", n)), n, []int{10, 10_000}); err != nil {
						b.Fatal(err)
					}
					dbs[n] = d
				}
				base, changed := d.snaps[0], d.snaps[c]
				runtime.GC() // the build's garbage is not the diff's cost
				b.ResetTimer()
				for range b.N {
					res, err := compareSnapshots(d.db, base, changed, nil)
					if err != nil {
						b.Fatal(err)
					}
					if got := changedItems(res); got != c || len(res.Changes) != c {
						b.Fatalf("changed items = %d of %d changes, want %d", got, len(res.Changes), c)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c), "ns/change")
			})
		}
	}
}

// diffBenchDB is a database holding a base snapshot (snaps[0]) and, for
// each change count c, a snapshot of the same items with c of them changed
// (snaps[c]).
type diffBenchDB struct {
	db    *snapshot.DB
	snaps map[int]*snapshot.Snapshot
}

// buildDiffBenchDB writes a base snapshot of n items and one snapshot per
// change count, each changing the city of that many items spread evenly
// over the ids.
func buildDiffBenchDB(path string, n int, changes []int) (*diffBenchDB, error) {
	db, err := snapshot.Open(path, snapshot.Options{
		Logger:       slog.New(slog.DiscardHandler),
		BatchObjects: 20_000,
		BatchBytes:   16 << 20,
	})
	if err != nil {
		return nil, err
	}
	d := &diffBenchDB{db: db, snaps: map[int]*snapshot.Snapshot{}}
	for _, c := range append([]int{0}, changes...) {
		if c > n {
			_ = db.Close()
			return nil, fmt.Errorf("%d changes among %d items", c, n)
		}
		s, err := writeBenchSnapshot(db, n, c)
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		d.snaps[c] = s
	}
	return d, nil
}

// writeBenchSnapshot commits one snapshot of n items with c of them changed:
// item i (0-based) is changed when i*c/n moves to a new value, which picks
// c items spread evenly over the ids.
func writeBenchSnapshot(db *snapshot.DB, n, c int) (*snapshot.Snapshot, error) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w, err := db.Begin("acme", at)
	if err != nil {
		return nil, err
	}
	var buf []byte
	for i := range n {
		changed := c > 0 && (i*c)/n != ((i+1)*c)/n
		buf = benchItem(buf[:0], i+1, changed)
		if err := w.Put("items", "clients", strconv.Itoa(i+1), buf); err != nil {
			_ = w.Abort(err)
			return nil, err
		}
	}
	return w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items"}})
}

var benchCities = []string{"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre", "Recife"}

// benchItem appends an item of type clients of about 350 bytes, shaped as
// the API serves it; a changed item has another city and a later
// updated_at.
func benchItem(buf []byte, id int, changed bool) []byte {
	city, updated := benchCities[id%len(benchCities)], "2025-06-01T09:30:00.000000Z"
	if changed {
		city, updated = "Lisboa", "2026-03-01T11:00:00.000000Z"
	}
	return fmt.Appendf(buf, `{"id":%d,"type":"clients","data":{"name":"Cliente %d Comércio Ltda","city":%q,`+
		`"segment":"smb","active":true,"email":"contato%d@example.com"},`+
		`"user":{"id":9,"created_at":"2024-01-10T08:00:00.000000Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},`+
		`"created_at":"2025-01-15T10:00:00.000000Z","updated_at":%q}`, id, id, city, id, updated)
}

// changedItems counts the items the result reports as changed.
func changedItems(res *diff.Result) int {
	n := 0
	for _, ch := range res.Changes {
		if ch.Kind == kind.Items && ch.Op == diff.Changed {
			n++
		}
	}
	return n
}
