package snapshot

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// Annotate records, on a committed snapshot, what changed since the
// previous complete snapshot (changes; nil for none) and the anomalies
// found in it, in a transaction of its own. A backup records them with the
// commit instead (CommitInfo.Annotate), so that no crash can separate
// them; Annotate is for summaries computed later.
func (db *DB) Annotate(id string, changes *Changes, anomalies []string) (*Snapshot, error) {
	return db.rewrite(id, func(s *Snapshot) { s.Changes, s.Anomalies = changes, anomalies })
}

// Protect marks a committed snapshot as one retention must keep, with the
// reason: the snapshot before a drop stays protected even after the
// snapshot that showed the drop is forgotten.
func (db *DB) Protect(id, reason string) error {
	_, err := db.rewrite(id, func(s *Snapshot) { s.Protected = reason })
	return err
}

// protectTx marks the committed snapshot id as one retention must keep,
// in tx. A snapshot that is gone (forgotten meanwhile) is left gone.
func protectTx(tx *bbolt.Tx, id, reason string) error {
	b := tx.Bucket(bucketSnapshots)
	v := b.Get([]byte(id))
	if v == nil {
		return nil
	}
	var snap Snapshot
	if err := json.Unmarshal(v, &snap); err != nil {
		return fmt.Errorf("%w: snapshot %s: %v", ErrCorrupt, id, err)
	}
	snap.Protected = reason
	rec, err := json.Marshal(&snap)
	if err != nil {
		return fmt.Errorf("encode snapshot record: %w", err)
	}
	return b.Put([]byte(id), rec)
}

// rewrite changes a committed snapshot's record in one transaction.
func (db *DB) rewrite(id string, change func(*Snapshot)) (*Snapshot, error) {
	if db.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	var snap Snapshot
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err := json.Unmarshal(v, &snap); err != nil {
			return fmt.Errorf("%w: snapshot %s: %v", ErrCorrupt, id, err)
		}
		change(&snap)
		rec, err := json.Marshal(&snap)
		if err != nil {
			return fmt.Errorf("encode snapshot record: %w", err)
		}
		return b.Put([]byte(id), rec)
	})
	if err != nil {
		return nil, fmt.Errorf("update snapshot record %s: %w", id, err)
	}
	return &snap, nil
}
