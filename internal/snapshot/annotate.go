package snapshot

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// protectTx marks the committed snapshot id as one retention must keep,
// in tx: the snapshot before a drop, protected in the transaction that
// commits the snapshot showing the drop (CommitInfo.Annotate). A snapshot that is gone (forgotten meanwhile) is left gone.
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
