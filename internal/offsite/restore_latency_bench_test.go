package offsite

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// slowBackend answers each Get and List after a delay, as a bucket
// across a network does.
type slowBackend struct {
	Backend
	delay time.Duration
}

func (s slowBackend) Get(ctx context.Context, name string) ([]byte, error) {
	time.Sleep(s.delay)
	return s.Backend.Get(ctx, name)
}

func (s slowBackend) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	time.Sleep(s.delay)
	return s.Backend.List(ctx, prefix, fn)
}

// BenchmarkRestoreLatency reads back 30 daily snapshots of 2,000 items
// (1% churn, one push a day; the key derived with DefaultKDF) through a
// target that answers each request after 20 ms: what restore spends
// before and while it downloads (opening the key, the records, the
// index, the trees, the packs) when round trips, not bytes, are what a
// bucket costs. open opens the target with Open, prefetching with
// OpenPrefetching (restore-db's).
//
//	go test ./internal/offsite -run '^$' -bench RestoreLatency -benchtime 3x
func BenchmarkRestoreLatency(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	opts := testOptions("a")
	opts.KDF = DefaultKDF
	r, err := OpenOrInit(ctx, &fileBackend{dir: dir}, opts)
	if err != nil {
		b.Fatal(err)
	}
	src := &memSource{}
	for d := 1; d <= 30; d++ {
		s := day(fmt.Sprintf("d%02d", d), d, 2000, 20)
		s.at = s.at.Add(time.Duration(d) * time.Hour)
		src.snaps = append(src.snaps, s)
		if _, err := r.Push(ctx, src); err != nil {
			b.Fatal(err)
		}
	}
	slow := slowBackend{Backend: &fileBackend{dir: dir}, delay: 20 * time.Millisecond}
	b.Run("open", func(b *testing.B) {
		for range b.N {
			rr, err := Open(ctx, slow, testOptions("a"))
			if err != nil {
				b.Fatal(err)
			}
			restoreLast(b, rr)
		}
	})
	b.Run("prefetching", func(b *testing.B) {
		for range b.N {
			rr, done, err := OpenPrefetching(ctx, slow, testOptions("a"))
			if err != nil {
				b.Fatal(err)
			}
			restoreLast(b, rr)
			done()
		}
	})
}

// restoreLast reads the last of r's 30 snapshots back, and every pack
// the 30 need.
func restoreLast(b *testing.B, rr *Repo) {
	ctx := context.Background()
	snaps, err := rr.Snapshots(ctx)
	if err != nil || len(snaps) != 30 {
		b.Fatalf("snapshots = %d, %v", len(snaps), err)
	}
	rs, err := rr.NewRestorer(ctx, snaps, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	if err := rs.Objects(ctx, snaps[len(snaps)-1], func(string, string, []byte) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	if err := rs.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	rs.Close()
	if n != 2001 {
		b.Fatalf("restored %d objects", n)
	}
}
