package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyWaits is a Backend whose key reads wait until every snapshot record
// and index file was read (at most 5 s), and that counts the reads of
// each object.
type keyWaits struct {
	Backend
	want int // records and index files
	mu   sync.Mutex
	gets map[string]int
	all  chan struct{}
}

func (k *keyWaits) Get(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "snapshots/") || strings.HasPrefix(name, "index/") {
		k.mu.Lock()
		k.gets[name]++
		if len(k.gets) == k.want && k.gets[name] == 1 {
			close(k.all)
		}
		k.mu.Unlock()
	}
	return k.Backend.Get(ctx, name)
}

func (k *keyWaits) GetLimited(ctx context.Context, name string, max int64) ([]byte, error) {
	if strings.HasPrefix(name, "keys/") {
		select {
		case <-k.all:
		case <-time.After(5 * time.Second):
		}
	}
	return getLimited(ctx, k.Backend, name, max)
}

// TestOpenPrefetching: the records and index files download while the
// key is opened, each once, and restore reads the same snapshots; a
// record whose bytes do not match its name is still refused.
func TestOpenPrefetching(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{snaps: []*memSnap{day("s1", 1, 50, 5)}}
	for d := 2; d <= 3; d++ {
		src.snaps = append(src.snaps, day("s"+string(rune('0'+d)), d, 50, 5))
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	wantAll := restoreAll(t, r)
	n := 0
	for _, sub := range []string{"snapshots", "index"} {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		n += len(es)
	}
	kb := &keyWaits{Backend: &fileBackend{dir: dir}, want: n, gets: map[string]int{}, all: make(chan struct{})}
	start := time.Now()
	rp, done, err := OpenPrefetching(ctx, kb, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("the key was read after %v: the records and index were not read meanwhile", d)
	}
	got := restoreAll(t, rp)
	if !reflect.DeepEqual(got, wantAll) {
		t.Errorf("restored %v, want %v", got, wantAll)
	}
	for name, c := range kb.gets {
		if c != 1 {
			t.Errorf("%s read %d times", name, c)
		}
	}

	// A record replaced by other bytes under its name is refused.
	es, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	rec := filepath.Join(dir, "snapshots", es[0].Name())
	raw, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-1] ^= 1
	if err := os.WriteFile(rec, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	rp2, done2, err := OpenPrefetching(ctx, &fileBackend{dir: dir}, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer done2()
	if _, err := rp2.Snapshots(ctx); !errors.Is(err, ErrCorrupt) && (err == nil || !strings.Contains(err.Error(), "does not hash to its name")) {
		t.Errorf("a damaged record: Snapshots = %v, want it refused", err)
	}
}
