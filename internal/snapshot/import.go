package snapshot

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.etcd.io/bbolt"
)

// CommitImport ends w, a run begun for rec.Workspace, as a copy of rec, a
// snapshot of another database (offsite restore-db rebuilds a database
// from an offsite target this way): the objects Put into w are committed
// as usual, then, in one transaction, the snapshot and its run are filed
// under rec's id with rec's record (times, status, errors, counts,
// changes, anomalies, protection, healed list, added bytes); only the
// collections' tree roots are this database's own. It fails when the
// objects Put do not add up to rec's counts, or when rec's id is taken.
//
// A crash between the commit and the renaming leaves the snapshot under
// the run's id: restore-db builds its database under a temporary name,
// so that is never seen.
func (w *Writer) CommitImport(rec *Snapshot) (*Snapshot, error) {
	if rec == nil || rec.ID == "" || rec.Workspace != w.workspace {
		return nil, fmt.Errorf("%w: import of a snapshot of another workspace", ErrInvalid)
	}
	for kind, msg := range rec.Errors {
		w.Fail(kind, errors.New(msg))
	}
	info := CommitInfo{FinishedAt: rec.FinishedAt, Requests: rec.Requests, Config: rec.Config, Drift: rec.Drift,
		Counts: rec.APICounts, Walked: slices.Collect(maps.Keys(rec.Counts))}
	snap, err := w.Commit(info)
	if err != nil {
		return nil, err
	}
	if snap.Objects != rec.Objects {
		return nil, fmt.Errorf("%w: snapshot %s: %d objects imported, its record counts %d", ErrCorrupt, rec.ID, snap.Objects, rec.Objects)
	}
	out := *rec
	out.Collections = snap.Collections
	err = w.db.update(func(tx *bbolt.Tx) error {
		sb, rb := tx.Bucket(bucketSnapshots), tx.Bucket(bucketRuns)
		if out.ID != snap.ID {
			if sb.Get([]byte(out.ID)) != nil || rb.Get([]byte(out.ID)) != nil {
				return fmt.Errorf("%w: snapshot %s is already in the database", ErrInvalid, out.ID)
			}
			if err := sb.Delete([]byte(snap.ID)); err != nil {
				return err
			}
			if err := rb.Delete([]byte(snap.ID)); err != nil {
				return err
			}
		}
		if _, err := putRun(tx, Run{ID: out.ID, Workspace: out.Workspace, StartedAt: out.StartedAt, FinishedAt: out.FinishedAt,
			Outcome: Outcome(out.Status), Objects: out.Objects}); err != nil {
			return err
		}
		b, err := out.MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode snapshot record: %w", err)
		}
		return sb.Put([]byte(out.ID), b)
	})
	if err != nil {
		return nil, fmt.Errorf("file imported snapshot %s: %w", rec.ID, err)
	}
	return &out, nil
}

// AbortImport ends w, a run begun to import a snapshot of another
// database, without a snapshot and without a trace in the runs log: the
// database being rebuilt holds the original's runs, and an import that
// did not finish (the target's damage, or a cancellation) is no run of
// the original's. Its pending entries are deleted and its blobs
// reclaimed, as by Abort.
func (w *Writer) AbortImport(reason error) error {
	if err := w.Abort(reason); err != nil {
		return err
	}
	err := w.db.update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketRuns).Delete([]byte(w.id)) })
	if err != nil {
		return fmt.Errorf("abort import %s: %w", w.id, err)
	}
	return nil
}
