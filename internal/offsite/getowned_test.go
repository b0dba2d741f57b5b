package offsite

import (
	"bytes"
	"context"
	"testing"
)

// TestGetBytesAreTheCallers: Backend.Get hands out memory the caller may
// overwrite (restore decrypts a pack in place, openPack): neither the
// file backend nor the prefetcher keeps the slice it returned, so a Get
// after the first one's bytes were overwritten gives the object as stored.
func TestGetBytesAreTheCallers(t *testing.T) {
	ctx := context.Background()
	fb := &fileBackend{dir: t.TempDir()}
	want := bytes.Repeat([]byte("sealed pack "), 100)
	for _, name := range []string{"data/aa", "index/bb"} {
		if err := fb.Put(ctx, name, want); err != nil {
			t.Fatal(err)
		}
	}
	p := &prefetcher{Backend: fb, lists: map[string]*fetched{}, objs: map[string]*fetched{}}
	p.start(ctx, "index/")
	p.wg.Wait() // index/bb is prefetched
	for _, c := range []struct {
		name string
		b    Backend
	}{{"data/aa", fb}, {"index/bb", p}, {"data/aa", p}} {
		first, err := c.b.Get(ctx, c.name)
		if err != nil || !bytes.Equal(first, want) {
			t.Fatalf("%T.Get(%s) = %q, %v", c.b, c.name, first, err)
		}
		clear(first)
		again, err := c.b.Get(ctx, c.name)
		if err != nil || !bytes.Equal(again, want) {
			t.Errorf("%T.Get(%s) after the first Get's bytes were overwritten = %.24q, %v; want the stored bytes", c.b, c.name, again, err)
		}
	}
}
