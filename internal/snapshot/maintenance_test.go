package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

func TestForgetPrune(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 500, same)
	s2 := snapshotOf(t, db, "acme", 500, func(id int) int { return id % 2 }) // half changed
	s3 := snapshotOf(t, db, "acme", 500, func(id int) int { return id % 3 })

	st, err := db.Prune()
	if err != nil || st.Objects() != 0 {
		t.Fatalf("prune with nothing forgotten = %+v, %v", st, err)
	}
	if err := db.Forget("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Forget(nope) = %v, want ErrNotFound", err)
	}
	if err := db.Forget(s2.ID, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Forget with an unknown id = %v", err)
	}
	if got, _ := db.Snapshots(""); len(got) != 3 {
		t.Fatalf("a failed Forget removed records: %d left", len(got))
	}
	blobs := countBlobs(t, db)
	if err := db.Forget(s2.ID); err != nil {
		t.Fatal(err)
	}
	st, err = db.Prune()
	if err != nil {
		t.Fatal(err)
	}
	// s2's odd ids had revision 1; s3 has revision 1 only for ids = 1 mod 3.
	want := 0
	for id := 1; id <= 500; id++ {
		if id%2 == 1 && id%3 != 1 {
			want++
		}
	}
	t.Logf("prune after forgetting one of three: %+v", st)
	if st.Blobs != want || st.Bytes <= 0 || st.Roots != 1 || st.Chunks == 0 {
		t.Errorf("prune = %+v, want %d blobs, 1 root, some chunks and bytes", st, want)
	}
	// s2's blobs made up a pack of their own, left with fewer than half
	// of them: rewritten without the dead ones.
	if got := countBlobs(t, db); got != blobs-want {
		t.Errorf("blobs %d, want %d", got, blobs-want)
	}
	if n, idx := countBlobs(t, db), countBlobIndex(t, db); n != idx {
		t.Errorf("blobs: %d in records and packs, %d index entries", n, idx)
	}
	if n, idx := count(t, db, bucketChunks), countIndex(t, db, chunkIndex); n != idx {
		t.Errorf("chunks: %d records, %d index entries", n, idx)
	}
	for _, s := range []*Snapshot{s1, s3} {
		keys, _ := walkAll(t, db, s, "items/contracts")
		if len(keys) != 500 {
			t.Errorf("snapshot %s has %d keys after prune", s.ShortID(), len(keys))
		}
		raw, ok, err := db.Lookup(s, "items/contracts", "5")
		if err != nil || !ok || len(raw) == 0 {
			t.Errorf("lookup in %s after prune: %v %v", s.ShortID(), ok, err)
		}
	}
	if err := db.Forget(s1.ID, s3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{bucketBlobs, bucketPacks, bucketBlobGroups, bucketChunks, bucketChunkGroups, bucketRoots} {
		if n := count(t, db, b); n != 0 {
			t.Errorf("%s: %d left with no snapshot", b, n)
		}
	}
}

// TestPruneKeepsOpenRun prunes while a run is in progress: its blobs are
// referenced by pending entries only, and must survive.
func TestPruneKeepsOpenRun(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 10})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 25; id++ {
		if err := w.Put("types", "", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.Prune()
	if err != nil || st.Objects() != 0 {
		t.Errorf("prune during a run = %+v, %v; want nothing removed", st, err)
	}
	s, err := w.Commit(CommitInfo{FinishedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if s.Objects != 25 {
		t.Errorf("objects = %d", s.Objects)
	}
}

func TestAbort(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 10})
	keep := snapshotOf(t, db, "acme", 30, same)
	blobs := countBlobs(t, db)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 45; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(errors.New("stopped by SIGTERM")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(nil); !errors.Is(err, ErrRunFinished) {
		t.Errorf("second Abort = %v", err)
	}
	if _, err := w.Commit(CommitInfo{}); !errors.Is(err, ErrRunFinished) {
		t.Errorf("Commit after Abort = %v", err)
	}
	if got := countBlobs(t, db); got != blobs {
		t.Errorf("blobs after abort = %d, want %d", got, blobs)
	}
	snaps, _ := db.Snapshots("acme")
	if len(snaps) != 1 || snaps[0].ID != keep.ID {
		t.Errorf("snapshots = %v", snaps)
	}
	runs, err := db.Runs("")
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	var aborted *Run
	for i := range runs {
		if runs[i].ID == w.ID() {
			aborted = &runs[i]
		}
	}
	if aborted == nil || aborted.Outcome != OutcomeAborted || aborted.Error != "stopped by SIGTERM" || aborted.FinishedAt.IsZero() {
		t.Errorf("aborted run = %+v", aborted)
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 200, same)
	s2 := snapshotOf(t, db, "acme", 200, func(id int) int { return id / 150 }) // 150.. changed
	fileAll(t, db)
	var target Hash
	if err := db.Walk(s1, "items/contracts", func(k string, h Hash) error {
		if k == "42" {
			target = h
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		id = lookupBlobID(tx, target)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	flip := func() { t.Helper(); damageBlob(t, db, id) } // in the compressed content of its pack
	flip()
	// Walk decompressed the pack into the decoded-pack cache before the
	// damage, as a running process would have: read from the file.
	db.packs = newPackCache()
	var calls, last int
	rep, err := db.Verify(true, func(done, total int) { calls++; last = total })
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != 400 {
		t.Errorf("progress called %d times, total %d; want total 400", calls, last)
	}
	// Every blob of the damaged pack is named, in each snapshot that
	// refers to it; 42 among them, in both.
	named := map[string]int{}
	for _, p := range rep.Problems {
		if p.Collection != "items/contracts" || !p.Content || !strings.Contains(p.Err, "blob is damaged") {
			t.Errorf("problem %s is not content damage of items/contracts", p)
		}
		// A pack of format 5 lists no hashes, and this one's content
		// does not decompress: the blob's hash is unknown (zero).
		if p.Key == "42" && p.Hash.IsZero() {
			named[p.Snapshot]++
		}
	}
	if _, ok := rep.DamagedBlobs[id]; named[s1.ID] != 1 || named[s2.ID] != 1 || !ok || !rep.DamagedBlobs[id].IsZero() {
		t.Errorf("problems = %v, want key 42 named once in each snapshot", rep.Problems)
	}
	if got := rep.Damaged(); len(got) != 2 || !(got[0] == s1.ID || got[1] == s1.ID) || !(got[0] == s2.ID || got[1] == s2.ID) {
		t.Errorf("damaged = %v, want %s and %s", got, s1.ID, s2.ID)
	}
	// Without reading data, the blob is present: structure is fine.
	if rep, err := db.Verify(false, nil); err != nil || !rep.OK() {
		t.Errorf("structural verify = %v, %v", rep.Problems, err)
	}
	if _, _, err := db.Lookup(s1, "items/contracts", "42"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("lookup of the damaged blob = %v, want ErrCorrupt (its pack does not decompress)", err)
	}
	flip() // restore, so the cleanup's check passes
}

func TestVerifyFindsMissingChunk(t *testing.T) {
	db := openTest(t)
	s := snapshotOf(t, db, "acme", 300, same)
	refs := mustRefs(t, db, s, "items/contracts")
	victim := refs[len(refs)/2]
	var saved []byte
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		saved = append([]byte(nil), tx.Bucket(bucketChunks).Get(idKey(victim.id))...)
		return tx.Bucket(bucketChunks).Delete(idKey(victim.id))
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Verify(false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("chunk %d is missing", victim.id); len(rep.Problems) != 1 || rep.Problems[0].Snapshot != s.ID || rep.Problems[0].Err != want {
		t.Errorf("problems = %v", rep.Problems)
	}
	if _, err := db.Prune(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("prune of a damaged database = %v, want ErrCorrupt", err)
	}
	if err := db.Walk(s, "items/contracts", func(string, Hash) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("walk over a missing chunk = %v, want ErrCorrupt", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketChunks).Put(idKey(victim.id), saved) }); err != nil {
		t.Fatal(err)
	}
}

// TestCommitFailureRecordsFailed makes Commit fail (the pending data is
// gone) and checks that the run is logged as failed and nothing shows.
func TestCommitFailureRecordsFailed(t *testing.T) {
	db := openTest(t)
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put("types", "", "contracts", []byte(`{"id":7}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPending).DeleteBucket([]byte(w.ID()))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(CommitInfo{FinishedAt: t0}); err == nil || !strings.Contains(err.Error(), "no longer pending") {
		t.Errorf("Commit = %v, want a failure", err)
	}
	runs, err := db.Runs("acme")
	if err != nil || len(runs) != 1 || runs[0].Outcome != OutcomeFailed || !strings.Contains(runs[0].Error, "no longer pending") {
		t.Errorf("runs = %+v, %v; want one failed", runs, err)
	}
	if s, _ := db.Snapshots(""); len(s) != 0 {
		t.Errorf("%d snapshots after a failed commit", len(s))
	}
	if _, err := db.Prune(); err != nil { // the run's blob is garbage now
		t.Fatal(err)
	}
	if _, err := db.Begin("", t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Begin with no workspace = %v, want ErrInvalid", err)
	}
}

// TestVerifyContextStops: a verify whose context is cancelled midway (Ctrl-C)
// stops with the context's error instead of checking on to the end.
func TestVerifyContextStops(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 200, same)
	snapshotOf(t, db, "acme", 200, func(id int) int { return id / 150 })
	fileAll(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	last := 0
	_, err := db.VerifyContext(ctx, true, func(done, total int) { last = done; cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("verify cancelled midway = %v, want context.Canceled", err)
	}
	if last >= 400 {
		t.Errorf("verify checked %d objects of 400 after its context was cancelled", last)
	}
	if rep, err := db.VerifyContext(context.Background(), true, nil); err != nil || !rep.OK() || rep.Objects != 400 {
		t.Errorf("verify afterwards = %+v, %v", rep, err)
	}
}
