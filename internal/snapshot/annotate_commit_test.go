package snapshot

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestCommitWithAnnotation checks that what Annotate returns is in the
// snapshot's record and the earlier snapshot's protection from the moment
// the snapshot is visible, and that Annotate sees the snapshot's trees.
func TestCommitWithAnnotation(t *testing.T) {
	db := openTest(t)
	first := snapshotOf(t, db, "acme", 10, same)
	w, err := db.Begin("acme", first.StartedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 4; id++ { // six items gone
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	var seen int
	snap, err := w.Commit(CommitInfo{FinishedAt: first.StartedAt.Add(2 * time.Hour), Walked: []string{"items"},
		Annotate: func(s *Snapshot) (*Annotation, error) {
			if listed, _ := db.Snapshots("acme"); len(listed) != 1 {
				t.Errorf("the snapshot is listed before its commit: %d snapshots", len(listed))
			}
			err := db.DiffCollection(first, s, "items/contracts", func(key string, old, new Hash) error {
				seen++
				return nil
			})
			return &Annotation{
				Changes:   &Changes{Since: first.ID, Summary: map[string]ChangeCounts{"items": {Removed: seen}}},
				Anomalies: []string{"items of type contracts shrank from 10 to 4 (-60%)"},
				Protect:   map[string]string{first.ID: "last before a drop"},
			}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 6 {
		t.Errorf("Annotate saw %d differing items between the trees, want 6", seen)
	}
	snaps, err := db.Snapshots("acme")
	if err != nil || len(snaps) != 2 {
		t.Fatalf("snapshots: %d, %v", len(snaps), err)
	}
	got := snaps[1]
	if got.ID != snap.ID || got.Changes == nil || got.Changes.Summary["items"].Removed != 6 || len(got.Anomalies) != 1 {
		t.Errorf("the committed record holds changes %+v and anomalies %q", got.Changes, got.Anomalies)
	}
	if snaps[0].Protected != "last before a drop" {
		t.Errorf("the snapshot before the drop is protected %q", snaps[0].Protected)
	}
}

// TestCommitAnnotateFails commits the snapshot without a summary when
// Annotate fails: the backup is not lost for want of its comparison.
func TestCommitAnnotateFails(t *testing.T) {
	db := openTest(t)
	first := snapshotOf(t, db, "acme", 3, same)
	w, err := db.Begin("acme", first.StartedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(CommitInfo{FinishedAt: first.StartedAt.Add(2 * time.Hour),
		Annotate: func(*Snapshot) (*Annotation, error) { return nil, errors.New("a damaged blob") }})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Changes != nil || snap.Anomalies != nil {
		t.Errorf("changes %+v, anomalies %q after a failed Annotate", snap.Changes, snap.Anomalies)
	}
	if snaps, _ := db.Snapshots("acme"); len(snaps) != 2 || snaps[0].Protected != "" {
		t.Errorf("after a failed Annotate: %d snapshots, first protected %q", len(snaps), snaps[0].Protected)
	}
}
