package snapshot

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestScrubFindsAndNextRunHeals: a scrub names the blobs of a damaged pack
// (the 40 of the first run) and records them; the next run stores them afresh, lists the object as healed in its
// snapshot, and every snapshot verifies clean with the data read.
func TestScrubFindsAndNextRunHeals(t *testing.T) {
	db := openTest(t)
	s1 := snapshotOf(t, db, "acme", 40, same)
	fileAll(t, db)
	var id uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		h, _ := ContentHash(item(7, 0))
		id = lookupBlobID(tx, h)
		return nil
	}); err != nil || id == 0 {
		t.Fatalf("blob of item 7: id %d, %v", id, err)
	}
	damageBlob(t, db, id)

	rep, err := db.Scrub(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Check.Content != 40 || rep.Check.Structural != 0 || !rep.Check.ReadData || rep.BytesRead == 0 {
		t.Fatalf("scrub: check %+v, read %d", rep.Check, rep.BytesRead)
	}
	if got := rep.Damaged(); len(got) != 1 || got[0] != s1.ID {
		t.Errorf("damaged snapshots %v, want %s", got, s1.ID)
	}
	// The pack (format 5) lists no hashes and its content does not
	// decompress: the damaged set records the blobs' hashes as unknown.
	if got, _ := db.DamagedBlobs(); len(got) != 40 || !got[id].IsZero() {
		t.Fatalf("damaged set: %v", got)
	}
	if last, ok, err := db.LastScrub(); err != nil || !ok || last.Content != 40 || last.BytesRead != rep.BytesRead {
		t.Errorf("last scrub %+v %v %v", last, ok, err)
	}
	if s1.Healed != nil {
		t.Errorf("first snapshot healed %v", s1.Healed)
	}

	s2 := snapshotOf(t, db, "acme", 40, same)
	if len(s2.Healed) != 40 || s2.Healed[6].Key != "7" || s2.Healed[6].Collection != "items/contracts" {
		t.Errorf("healed %+v, want the 40 items/contracts", s2.Healed)
	}
	stored, err := db.Resolve("acme", s2.ID)
	if err != nil || len(stored.Healed) != 40 {
		t.Errorf("stored record healed %+v, %v", stored, err)
	}
	again, err := db.Scrub(context.Background(), 0)
	if err != nil || !again.OK() || again.Check.Content != 0 {
		t.Fatalf("scrub after the healing run: %+v, %v", again, err)
	}
	s3 := snapshotOf(t, db, "acme", 40, same)
	if s3.Healed != nil {
		t.Errorf("third snapshot healed %v", s3.Healed)
	}
}

// TestScrubBandwidth: a scrub reads at the pace it is given, and a
// cancelled one records nothing.
func TestScrubBandwidth(t *testing.T) {
	db := openTest(t)
	snapshotOf(t, db, "acme", 300, same)
	fileAll(t, db)
	full, err := db.Scrub(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rate := full.BytesRead * 4 // a quarter of a second's worth
	paced, err := db.Scrub(context.Background(), rate)
	if err != nil {
		t.Fatal(err)
	}
	if paced.BytesRead != full.BytesRead {
		t.Errorf("paced scrub read %d bytes, unpaced %d", paced.BytesRead, full.BytesRead)
	}
	if paced.Took < 200*time.Millisecond {
		t.Errorf("%d bytes at %d/s took %s, want about 250ms", paced.BytesRead, rate, paced.Took)
	}
	before, _, _ := db.LastCheck()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.Scrub(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scrub: %v", err)
	}
	if after, _, _ := db.LastCheck(); !after.Time.Equal(before.Time) {
		t.Errorf("a cancelled scrub recorded a check: %+v", after)
	}
}
