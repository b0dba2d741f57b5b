package offsite

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// A pack whose bytes hash to its name is intact: if it does not decrypt,
// the verifying machine holds another master key (a repository an earlier
// build gave two master keys, a server that ignored If-None-Match), not
// damaged data. Such a verify must not mark intact packs damaged for every
// machine, and a push there must not delete them.
func TestVerifyWithAnotherKeyMarksNoPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	packs, _ := os.ReadDir(filepath.Join(dir, "data"))
	o := testOptions("v")
	o.CacheDir = t.TempDir()
	v, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	if v.key, err = newMasterKey(other); err != nil {
		t.Fatal(err)
	}
	v.Verify(ctx, true)
	marks, _ := os.ReadDir(filepath.Join(dir, "damaged"))
	if len(marks) != 0 {
		t.Errorf("verify with another master key marked %d of %d intact packs damaged on the target", len(marks), len(packs))
	}
	// A fresh machine with the right key now sees every snapshot incomplete.
	f := testOptions("f")
	f.CacheDir = t.TempDir()
	fr, err := OpenOrInit(ctx, &fileBackend{dir: dir}, f)
	if err != nil {
		t.Fatal(err)
	}
	if vr, _ := fr.Verify(ctx, false); len(vr.Incomplete) != 0 {
		t.Errorf("a machine with the right key sees %d snapshots incomplete after the other machine's verify", len(vr.Incomplete))
	}
	// A push of another daemon with the right key but no repair of a's snapshots:
	// b's push runs confirmMarks and reads them well; but v's push deletes them.
	v.Push(ctx, &memSource{})
	after, _ := os.ReadDir(filepath.Join(dir, "data"))
	if len(after) < len(packs) {
		t.Errorf("v's push deleted %d intact packs that only its key cannot open", len(packs)-len(after))
	}
}

// shortReads returns the first n reads of data/ objects one byte short,
// without an error: a connection cut in a way the client did not notice.
type shortReads struct {
	Backend
	n atomic.Int64
}

func (s *shortReads) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := s.Backend.Get(ctx, name)
	if err == nil && len(name) > 5 && name[:5] == "data/" && s.n.Add(-1) >= 0 {
		return b[:len(b)-1], nil
	}
	return b, err
}

// One short read during a verify on a machine that never pushes marks an
// intact pack damaged on the target. A later verify --read-data there reads
// it well but leaves the marker, so every restore-db keeps leaving the
// intact pack out (on a fresh machine after a disaster, nobody pushes).
func TestShortReadLeavesNoLastingMark(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	o := testOptions("v")
	o.CacheDir = t.TempDir()
	sb := &shortReads{Backend: &fileBackend{dir: dir}}
	sb.n.Store(1 << 20)
	v, err := OpenOrInit(ctx, sb, o)
	if err != nil {
		t.Fatal(err)
	}
	v.Verify(ctx, true)
	sb.n.Store(0)
	marks, _ := os.ReadDir(filepath.Join(dir, "damaged"))
	if len(marks) != 0 {
		t.Errorf("short reads (size differs from the listing) marked %d intact pack(s) damaged", len(marks))
	}
	vr, _ := v.Verify(ctx, true) // reads every pack well now
	if len(vr.Problems) != 0 {
		t.Logf("second verify --read-data problems: %+v", vr.Problems)
	}
	marks, _ = os.ReadDir(filepath.Join(dir, "damaged"))
	if len(marks) != 0 {
		t.Errorf("verify --read-data read every pack well but left %d damage marker(s)", len(marks))
	}
	f := testOptions("f")
	f.CacheDir = t.TempDir()
	fr, err := OpenOrInit(ctx, &fileBackend{dir: dir}, f)
	if err != nil {
		t.Fatal(err)
	}
	if vr, _ := fr.Verify(ctx, false); len(vr.Incomplete) != 0 {
		t.Errorf("a fresh machine sees %d snapshot(s) incomplete though every pack is intact", len(vr.Incomplete))
	}
}

// A marker on an intact pack (a verify's short read) and one short read by
// another daemon's push then delete the intact pack: the snapshots of the
// daemon that pushed it are unrestorable (its machine may be gone).
func TestShortReadNeverDeletesAPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(filepath.Join(dir, "data"))
	open := func(name string, short int64) (*Repo, *shortReads) {
		o := testOptions(name)
		o.CacheDir = t.TempDir()
		sb := &shortReads{Backend: &fileBackend{dir: dir}}
		sb.n.Store(short)
		r, err := OpenOrInit(ctx, sb, o)
		if err != nil {
			t.Fatal(err)
		}
		return r, sb
	}
	v, sv := open("v", 1<<20)
	v.Verify(ctx, true)
	sv.n.Store(0)
	b, _ := open("b", 1<<20)
	b.Push(ctx, &memSource{})
	after, _ := os.ReadDir(filepath.Join(dir, "data"))
	if len(after) < len(before) {
		t.Errorf("b's push deleted %d intact pack(s) after reads that came back short of the listed size", len(before)-len(after))
	}
}
