package offsite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// holdBackend holds each Get of the objects in hold until a Get of an
// object with prefix first has started, or for at most max.
type holdBackend struct {
	Backend
	hold    map[string]bool
	first   func(name string) bool
	max     time.Duration
	once    sync.Once
	started chan struct{}
	timeout atomic.Bool
}

func (h *holdBackend) Get(ctx context.Context, name string) ([]byte, error) {
	if h.first(name) {
		h.once.Do(func() { close(h.started) })
	}
	if h.hold[name] {
		select {
		case <-h.started:
		case <-time.After(h.max):
			h.timeout.Store(true)
		}
	}
	return h.Backend.Get(ctx, name)
}

// TestRestoreDataBeforeLastTrees: a restore of format-3 snapshots, whose
// objects' index entries are given by the chunks that name them, starts
// downloading data packs before it has read every tree pack (the index's
// entries are resolved as the walks read the chunks): the tree pack of
// the last snapshot is held until a data pack is asked for, and the
// restore must not wait for it first.
func TestRestoreDataBeforeLastTrees(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := newFileRepo(t, dir, "a")
	src := &memSource{}
	for d := 1; d <= 3; d++ {
		s := day(fmt.Sprintf("s%d", d), d, 600, 20)
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := r.Snapshots(ctx)
	if err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	// The packs of the last snapshot's roots (but the first's), and the
	// data packs.
	hold := map[string]bool{}
	data := map[string]bool{}
	byChunk := 0
	for _, tr := range snaps[2].Collections {
		loc, ok := idx.lookup(tr.Root.Ref())
		if !ok {
			t.Fatal("a root is in no index")
		}
		hold["data/"+loc.pack.String()] = true
	}
	for pack, blobs := range idx.packs {
		for i, b := range blobs {
			if b.Type == DataBlob {
				data["data/"+pack.String()] = true
				if idx.from[pack] != nil && idx.from[pack][i].OK {
					byChunk++
				}
			}
		}
	}
	for _, tr := range snaps[0].Collections {
		if loc, ok := idx.lookup(tr.Root.Ref()); ok {
			delete(hold, "data/"+loc.pack.String()) // unchanged since
		}
	}
	if len(hold) == 0 {
		t.Fatal("the last snapshot has no tree pack of its own")
	}
	for name := range hold {
		if data[name] {
			t.Fatal("a root's pack holds data")
		}
	}
	if byChunk == 0 {
		t.Fatal("no object is given by chunk")
	}
	hb := &holdBackend{Backend: &fileBackend{dir: dir}, hold: hold, max: 5 * time.Second, started: make(chan struct{}),
		first: func(name string) bool { return data[name] && strings.HasPrefix(name, "data/") }}
	rr, err := Open(ctx, hb, testOptions("a"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rr.NewRestorer(ctx, snaps, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]map[string]string{}
	if err := rs.Objects(ctx, snaps[2], func(c, k string, raw []byte) error {
		if got[c] == nil {
			got[c] = map[string]string{}
		}
		got[c][k] = string(raw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := rs.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want(src.snaps[2])) {
		t.Error("the last snapshot did not restore as pushed")
	}
	if hb.timeout.Load() {
		t.Error("the last snapshot's tree pack was read before any data pack was asked for")
	}
}

// TestRestoreByChunkDamage: an entry given by chunk that names another
// object, or no object, makes the restore of the snapshots that need it
// fail as damage (ErrCorrupt), whichever way the walks resolve it: an
// object is found through its ref and must hash to it.
func TestRestoreByChunkDamage(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(f *ChunkPos)
	}{
		{"other object", func(f *ChunkPos) { f.Entry ^= 1 }},
		{"out of range", func(f *ChunkPos) { f.Entry = 1000 }},
		{"missing chunk", func(f *ChunkPos) { f.Chunk = Ref{0xee} }},
	}
	for _, c := range cases {
		for _, nth := range []int{0, 5} {
			t.Run(fmt.Sprintf("%s/%d", c.name, nth), func(t *testing.T) {
				r := newFileRepo(t, t.TempDir(), "a")
				src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
				if _, err := r.Push(ctx, src); err != nil {
					t.Fatal(err)
				}
				seen := 0
				rewriteIndex(t, r, func(packs []IndexPack) {
					for _, p := range packs {
						for i := range p.Blobs {
							if p.byChunk(i) {
								if seen == nth {
									c.change(&p.From[i])
								}
								seen++
							}
						}
					}
				})
				if seen <= nth {
					t.Fatalf("%d entries by chunk", seen)
				}
				snaps, err := r.Snapshots(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				defer rs.Close()
				for _, s := range snaps {
					if err == nil {
						err = rs.Objects(ctx, s, func(string, string, []byte) error { return nil })
					}
				}
				if err == nil {
					err = rs.Wait(ctx)
				}
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("restore = %v, want damage", err)
				}
			})
		}
	}
}
