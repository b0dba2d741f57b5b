package offsite

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// staleKeys is a Backend whose listings of keys/ come back empty until it
// writes a key: a process that looked at the target before another
// created the repository, and writes its own key long after.
type staleKeys struct {
	Backend
	wrote atomic.Bool
}

func (s *staleKeys) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if strings.HasPrefix(prefix, "keys/") && !s.wrote.Load() {
		return nil
	}
	return s.Backend.List(ctx, prefix, fn)
}

func (s *staleKeys) Put(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, "keys/") {
		s.wrote.Store(true)
	}
	return s.Backend.Put(ctx, name, data)
}

func (s *staleKeys) Create(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, "keys/") {
		s.wrote.Store(true)
	}
	return s.Backend.Create(ctx, name, data)
}

// TestInitLongAfterAnother: a process that found the target empty and
// creates the repository after another one finished creating it (far
// more than the settle time later) opens that repository: one key, one
// master key, and each reads what the other pushed.
func TestInitLongAfterAnother(t *testing.T) {
	ctx := context.Background()
	for round := range 6 {
		dir := t.TempDir()
		a, err := OpenOrInit(ctx, &fileBackend{dir: dir}, testOptions("a"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{day(fmt.Sprint("a", round), 1, 20, 0)}}); err != nil {
			t.Fatal(err)
		}
		late := &staleKeys{Backend: &fileBackend{dir: dir}}
		b, err := OpenOrInit(ctx, late, testOptions("b"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Push(ctx, &memSource{snaps: []*memSnap{day(fmt.Sprint("b", round), 2, 20, 5)}}); err != nil {
			t.Fatal(err)
		}
		names, _ := keyNames(ctx, &fileBackend{dir: dir})
		if len(names) != 1 {
			t.Fatalf("round %d: %d keys: two processes each created the repository", round, len(names))
		}
		for _, r := range []*Repo{a, b} {
			if got := restoreAll(t, r); len(got) != 2 {
				t.Fatalf("round %d: %d snapshots restored", round, len(got))
			}
		}
	}
}
