package snapshot

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
)

// interrupted is the error text of a run found pending by Open.
const interrupted = "interrupted: the process stopped before the snapshot was committed"

// recover records the runs a dead process left running as aborted, deletes
// their pending data, and prunes what they had stored. Open holds the file
// lock exclusively, so no such run can still be in progress.
func (db *DB) recover() error {
	var found []Run
	needPrune := false
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		now := db.opts.Now()
		var ids []string
		err := tx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: run record %s: %v", ErrCorrupt, k, err)
			}
			if r.Outcome == OutcomeRunning {
				ids = append(ids, r.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Pending data with no run record (it cannot be written so, but a
		// damaged file might hold it) is removed too.
		pb := tx.Bucket(bucketPending)
		var strays [][]byte
		err = pb.ForEachBucket(func(k []byte) error {
			if tx.Bucket(bucketRuns).Get(k) == nil {
				strays = append(strays, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range strays {
			if err := pb.DeleteBucket(k); err != nil {
				return fmt.Errorf("delete stray pending data %s: %w", k, err)
			}
		}
		for _, id := range ids {
			if err := endRunTx(tx, id, OutcomeAborted, EndKilled, interrupted, now); err != nil {
				return err
			}
			r, err := getRun(tx, id)
			if err != nil {
				return err
			}
			found = append(found, r)
		}
		needPrune = len(strays) > 0 || len(ids) > 0
		return nil
	})
	if err != nil {
		return fmt.Errorf("recover interrupted runs: %w", err)
	}
	db.recovered = found
	if !needPrune {
		return nil
	}
	for _, r := range found {
		db.log.Warn("recovered interrupted run", "run", r.ID, "workspace", r.Workspace,
			"started_at", formatTime(r.StartedAt), "hint", "the run was recorded as aborted; its data is reclaimed")
	}
	st, err := db.Prune()
	if err != nil {
		return fmt.Errorf("reclaim data of interrupted runs: %w", err)
	}
	db.log.Info("reclaimed data of interrupted runs", "objects", st.Objects(), "bytes", st.Bytes)
	return nil
}
