package offsite

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"
)

// testKDF keeps key derivation fast in tests.
var testKDF = KDF{Time: 1, Memory: 64, Threads: 1}

var testTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const testPassword = "correct-horse-Battery-9"

func init() { initSettle = 200 * time.Millisecond }

func testOptions(name string) Options {
	return Options{Password: testPassword, KDF: testKDF, Name: name, PackSize: 64 << 10,
		BlobID: func(raw []byte) (ID, error) { return sha256.Sum256(raw), nil }}
}

// memSnap is a local snapshot of memSource: collection -> key -> raw.
type memSnap struct {
	id, ws string
	at     time.Time
	colls  map[string]map[string][]byte
}

// memSource is a Source held in memory.
type memSource struct{ snaps []*memSnap }

func (m *memSource) Snapshots() ([]Local, error) {
	var out []Local
	for _, s := range m.snaps {
		var names []string
		for c := range s.colls {
			names = append(names, c)
		}
		sort.Strings(names)
		out = append(out, Local{ID: s.id, Workspace: s.ws, StartedAt: s.at, Collections: names,
			Record: []byte(fmt.Sprintf(`{"id":%q,"workspace":%q}`, s.id, s.ws)), Ref: s})
	}
	return out, nil
}

func (m *memSource) Walk(l Local, c string, fn func(string, ID) error) error {
	coll := l.Ref.(*memSnap).colls[c]
	keys := make([]string, 0, len(coll))
	for k := range coll {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn(k, sha256.Sum256(coll[k])); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) Diff(base, l Local, c string, fn func(string, ID, ID) error) error {
	a, b := base.Ref.(*memSnap).colls[c], l.Ref.(*memSnap).colls[c]
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		var old, new ID
		if v, ok := a[k]; ok {
			old = sha256.Sum256(v)
		}
		if v, ok := b[k]; ok {
			new = sha256.Sum256(v)
		}
		if old != new {
			if err := fn(k, old, new); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memSource) Read(l Local, c, key string, _ ID) ([]byte, error) {
	return l.Ref.(*memSnap).colls[c][key], nil
}

// day returns a snapshot of n items whose values change with day for
// the items below churn.
func day(id string, d, n, churn int) *memSnap {
	items := map[string][]byte{}
	for i := 0; i < n; i++ {
		v := 0
		if i < churn {
			v = d
		}
		items[fmt.Sprint(i)] = []byte(fmt.Sprintf(`{"id":%d,"name":"secret-value-%d","rev":%d}`, i, i, v))
	}
	return &memSnap{id: id, ws: "acme-workspace", at: time.Date(2026, 1, d, 3, 0, 0, 0, time.UTC),
		colls: map[string]map[string][]byte{"items/clients-slug": items, "types": {"clients-slug": []byte(`{"slug":"clients-slug"}`)}}}
}

// flaky is a Backend that fails every Put after the first okPuts.
type flaky struct {
	Backend
	okPuts atomic.Int64
}

var errInjected = errors.New("injected upload failure")

func (f *flaky) Put(ctx context.Context, name string, data []byte) error {
	if f.okPuts.Add(-1) < 0 {
		return errInjected
	}
	return f.Backend.Put(ctx, name, data)
}

func newFileRepo(t *testing.T, dir, name string) *Repo {
	t.Helper()
	r, err := OpenOrInit(context.Background(), &fileBackend{dir: dir}, testOptions(name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// restoreAll reads every object of every snapshot on the target back.
func restoreAll(t *testing.T, r *Repo) map[string]map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string]map[string]map[string]string{}
	for _, s := range snaps {
		got := map[string]map[string]string{}
		err := rs.Objects(ctx, s, func(c, k string, raw []byte) error {
			if got[c] == nil {
				got[c] = map[string]string{}
			}
			got[c][k] = string(raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		out[s.Name+"/"+s.LocalID] = got
	}
	return out
}

func want(s *memSnap) map[string]map[string]string {
	out := map[string]map[string]string{}
	for c, kv := range s.colls {
		out[c] = map[string]string{}
		for k, v := range kv {
			out[c][k] = string(v)
		}
	}
	return out
}
