package offsite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

// countingOptions are testOptions whose BlobID counts its calls.
func countingOptions(name string, raw bool, calls *atomic.Int64) Options {
	o := testOptions(name)
	o.BlobIDRaw = raw
	o.BlobID = func(b []byte) (ID, error) {
		calls.Add(1)
		return sha256.Sum256(b), nil
	}
	return o
}

// TestRestoreRawIDs: with Options.BlobIDRaw, a restore takes the id of
// an object whose bytes' SHA-256 begins with its 8-byte name from that
// hash and never calls BlobID; without it, BlobID hashes every object.
// Both restore every snapshot byte for byte.
func TestRestoreRawIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := &memSource{snaps: []*memSnap{day("d1", 1, 300, 0), day("d2", 2, 300, 30)}}
	if _, err := newFileRepo(t, dir, "a").Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []bool{false, true} {
		var calls atomic.Int64
		r, err := Open(ctx, &fileBackend{dir: dir}, countingOptions("a", raw, &calls))
		if err != nil {
			t.Fatal(err)
		}
		got := restoreAll(t, r)
		for _, s := range src.snaps {
			if !reflect.DeepEqual(got["a/"+s.id], want(s)) {
				t.Errorf("BlobIDRaw %v: snapshot %s restores other objects", raw, s.id)
			}
		}
		switch n := calls.Load(); {
		case raw && n != 0:
			t.Errorf("BlobIDRaw: BlobID called %d times, want none", n)
		case !raw && n < 331:
			t.Errorf("BlobID called %d times, want one an object (331 at least)", n)
		}
	}
}

// TestRestoreRawIDsShortNames: a name shorter than 8 bytes is not
// enough to take an object's id from the hash of its bytes: with 1-byte
// names every object goes through BlobID, and restores.
func TestRestoreRawIDsShortNames(t *testing.T) {
	shortNames(t, 1)
	ctx := context.Background()
	dir := t.TempDir()
	src := &memSource{snaps: []*memSnap{day("d1", 1, 300, 0)}}
	if _, err := newFileRepo(t, dir, "a").Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	short, long := indexNames(t, newFileRepo(t, dir, "a"))
	var calls atomic.Int64
	r, err := Open(ctx, &fileBackend{dir: dir}, countingOptions("a", true, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/d1"], want(src.snaps[0])) {
		t.Error("d1 restores other objects")
	}
	if n := calls.Load(); n < int64(short) || short == 0 {
		t.Errorf("BlobID called %d times for %d objects under 1-byte names (%d long ones)", n, short, long)
	}
}

// forgingMem pushes other bytes than item 7's for item 7.
type forgingMem struct{ *memSource }

var forgedItem = []byte(`{"id":7,"name":"forged"}`)

func (f forgingMem) Read(l Local, c, key string, id ID) ([]byte, error) {
	if key == "7" && strings.HasPrefix(c, "items/") {
		return forgedItem, nil
	}
	return f.memSource.Read(l, c, key, id)
}

// TestRestoreRawIDsForged: with Options.BlobIDRaw, an object whose bytes
// were swapped under its name (by a push whose BlobID lied) still fails
// the restore: its bytes' hash does not begin with the name, and BlobID
// does not give it either.
func TestRestoreRawIDsForged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := day("d1", 1, 50, 0)
	item7 := sha256.Sum256(s.colls["items/clients-slug"]["7"])
	o := testOptions("a")
	o.BlobID = func(b []byte) (ID, error) {
		if bytes.Equal(b, forgedItem) {
			return item7, nil
		}
		return sha256.Sum256(b), nil
	}
	w, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx, forgingMem{&memSource{snaps: []*memSnap{s}}}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	r, err := Open(ctx, &fileBackend{dir: dir}, countingOptions("a", true, &calls))
	if err != nil {
		t.Fatal(err)
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
	err = rs.Wait(ctx)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not hash to its id") {
		t.Fatalf("restore of a forged object: %v", err)
	}
	if calls.Load() == 0 {
		t.Error("the forged object was not hashed by BlobID")
	}
}

// TestRefFilter: the filter of the index's refs holds every ref of the
// map it was made from, short names and long refs alike, and lets few
// others through (at most 1 in 70 by its sizing; 1 in 20 fails).
func TestRefFilter(t *testing.T) {
	held := map[Ref]slot{}
	for i := range 20_000 {
		id := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'h'})
		if i%2 == 0 {
			held[shortName(id)] = slot{}
		} else {
			held[ID(id).Ref()] = slot{}
		}
	}
	f := newRefFilter(held)
	for r := range held {
		if !f.mayHold(r) {
			t.Fatalf("the filter lacks %x, which the map holds", r)
		}
	}
	through := 0
	for i := range 20_000 {
		id := sha256.Sum256([]byte{byte(i), byte(i >> 8), 'o'})
		if f.mayHold(shortName(id)) {
			through++
		}
	}
	if through > 1000 {
		t.Errorf("%d of 20,000 refs the map lacks passed the filter", through)
	}
	t.Logf("%d of 20,000 refs the map lacks passed the filter", through)
}
