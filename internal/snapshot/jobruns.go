package snapshot

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// JobRun is one run of a job that keeps no snapshots (a scheduled
// replication): when it ran, how it ended, and its summary.
type JobRun struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     Outcome   `json:"status"`
	Summary    string    `json:"summary"`
	Error      string    `json:"error,omitempty"`
}

// jobRunsKept is how many runs of each job the log keeps.
const jobRunsKept = 100

// LogJobRun appends a run to the job's log, dropping the oldest beyond the
// last 100.
func (db *DB) LogJobRun(job string, r JobRun) error {
	rec, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode job run: %w", err)
	}
	return db.update(func(tx *bbolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketJobRuns)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists([]byte(job))
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), rec); err != nil {
			return err
		}
		if seq <= jobRunsKept {
			return nil
		}
		oldest := binary.BigEndian.AppendUint64(nil, seq-jobRunsKept+1)
		c := b.Cursor()
		for k, _ := c.First(); k != nil && string(k) < string(oldest); k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// JobRuns returns the logged runs of a job, oldest first.
func (db *DB) JobRuns(job string) ([]JobRun, error) {
	var out []JobRun
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		top := tx.Bucket(bucketJobRuns)
		if top == nil {
			return nil
		}
		b := top.Bucket([]byte(job))
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var r JobRun
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("job run of %s: %w", job, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}
