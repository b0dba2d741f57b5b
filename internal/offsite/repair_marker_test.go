package offsite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Verify on another machine (v, its own cache) finds a flipped byte in a
// pack of daemon a's snapshots and says to push on a's machine: a's push
// must then repair them (the damage marker on the target tells it), a's
// later snapshots must not dedupe against the damaged pack, and v's
// prune must run.
func TestDamageFoundByVerifyElsewhereIsRepairedByPush(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1), chainDay(2)}}
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	damaged := largestPack(t, dir)
	p := filepath.Join(dir, "data", damaged)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x10
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	o := testOptions("v")
	o.CacheDir = t.TempDir()
	v, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	if vr, _ := v.Verify(ctx, true); len(vr.Incomplete) == 0 {
		t.Fatalf("verify on v found nothing: %+v", vr.Problems)
	}
	if _, err := os.Stat(filepath.Join(dir, "damaged", damaged)); err != nil {
		t.Fatalf("verify left no damage marker on the target: %v", err)
	}
	rep, err := a.Push(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Repaired) == 0 {
		t.Errorf("a's push repaired nothing: %+v", rep)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", damaged)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the damaged pack is still on the target: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "damaged", damaged)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the damage marker is still on the target: %v", err)
	}
	if vr, _ := v.Verify(ctx, true); len(vr.Incomplete) != 0 {
		t.Errorf("after the push on a's machine, snapshots still incomplete: %+v", vr.Incomplete)
	}
	src.snaps = append(src.snaps, chainDay(3))
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	vr, _ := v.Verify(ctx, true)
	for _, s := range vr.Incomplete {
		t.Errorf("after a's pushes, snapshot %s is unrestorable: %+v", s.LocalID, s)
	}
	v.opts.Now = func() time.Time { return time.Now().Add(2 * DefaultPruneWindow) }
	if _, err := v.Prune(ctx); err != nil {
		t.Errorf("prune on v after a's pushes: %.160s", err)
	}
}

// Until a push deals with it, a damage marker keeps every machine's push
// from deduplicating against the pack, even one whose cache knows nothing.
func TestDamageMarkerExcludesPackEverywhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	src := &memSource{snaps: []*memSnap{chainDay(1)}}
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	pack := largestPack(t, dir)
	id, err := ParseID(pack)
	if err != nil {
		t.Fatal(err)
	}
	a.markDamaged(ctx, []ID{id})
	o := testOptions("v")
	o.CacheDir = t.TempDir()
	v, err := OpenOrInit(ctx, &fileBackend{dir: dir}, o)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := v.loadIndex(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !idx.gone[id] {
		t.Errorf("an index loaded with a damage marker on the target keeps the pack")
	}
	vr, err := v.Verify(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(vr.Incomplete) == 0 {
		t.Errorf("verify without --read-data ignores the damage marker: %+v", vr.Problems)
	}
	// The pack reads well: the next push takes the marker off and keeps it.
	if _, err := a.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "damaged", pack)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a marker of a pack that reads well survives a push: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", pack)); err != nil {
		t.Errorf("a push deleted a pack that reads well: %v", err)
	}
}

type readOnlyDamaged struct{ Backend }

func (b readOnlyDamaged) Put(ctx context.Context, name string, data []byte) error {
	if strings.HasPrefix(name, damagedDir) {
		return errors.New("injected: access denied")
	}
	return b.Backend.Put(ctx, name, data)
}

// Verify with credentials that cannot write still reports the damage.
func TestVerifyWithoutWriteAccessStillReportsDamage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := cachedFileRepo(t, dir)
	if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{chainDay(1)}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "data", largestPack(t, dir))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	o := testOptions("v")
	v, err := Open(ctx, readOnlyDamaged{&fileBackend{dir: dir}}, o)
	if err != nil {
		t.Fatal(err)
	}
	vr, err := v.Verify(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(vr.Incomplete) == 0 {
		t.Errorf("verify found nothing: %+v", vr.Problems)
	}
}
