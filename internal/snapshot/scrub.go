package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// keyLastScrub files the last finished scrub in the meta bucket (JSON, a
// ScrubRecord): the daemon's check at start replaces the last check, not
// this.
var keyLastScrub = []byte("last-scrub")

// ScrubRecord is the recorded outcome of the last scrub.
type ScrubRecord struct {
	Check
	BytesRead int64 `json:"bytes_read"`
	TookMS    int64 `json:"took_ms"`
}

// ScrubReport is what Scrub read and found.
type ScrubReport struct {
	*VerifyReport
	Check     Check         // the outcome Scrub recorded
	BytesRead int64         // bytes of records read (roots, index nodes, chunks, blobs)
	Took      time.Duration // wall time, pauses for the bandwidth included
}

// Scrub reads and checks every root, index node, chunk and blob that a
// snapshot refers to, as Verify with readData does, at no more than
// bytesPerSecond (0: as fast as the disk goes), and records the outcome
// like RecordCheck: damaged blobs join the damaged set, so the next backup
// that fetches their objects stores them afresh, and structural damage
// makes backups refuse the database. It needs the database open
// read-write. ctx stops it between two reads: nothing is recorded then.
//
// The pace is kept over the whole scrub (the bytes read so far may not
// run ahead of bytesPerSecond times the time since the start), so a slow
// disk is never made to catch up with a burst. A scrub does not hold
// prunes off (a slow scrub would hold up the retention of every backup,
// and the backups behind it): what it reads may disappear with a
// forgotten snapshot, so when it finds any problem it checks everything
// again, at full speed and with prunes held off, and records that.
func (db *DB) Scrub(ctx context.Context, bytesPerSecond int64) (*ScrubReport, error) {
	if db.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	start := time.Now()
	var read int64
	pace := func(n int) error {
		read += int64(n)
		if err := ctx.Err(); err != nil {
			return err
		}
		if bytesPerSecond <= 0 {
			return nil
		}
		due := start.Add(time.Duration(float64(read) / float64(bytesPerSecond) * float64(time.Second)))
		wait := time.Until(due)
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rep, err := db.verify(true, nil, pace, false)
	if err == nil && !rep.OK() {
		// Damage, or a prune that ran meanwhile: check again with prunes
		// held off, at full speed (damage is rare).
		read = 0
		rep, err = db.verify(true, nil, func(n int) error { read += int64(n); return ctx.Err() }, true)
	}
	if err != nil {
		return nil, fmt.Errorf("scrub: %w", err)
	}
	took := time.Since(start)
	c, err := db.recordCheck(rep, func(tx *bbolt.Tx, c Check) error {
		v, err := json.Marshal(ScrubRecord{Check: c, BytesRead: read, TookMS: took.Milliseconds()})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyLastScrub, v)
	})
	if err != nil {
		return nil, fmt.Errorf("scrub: %w", err)
	}
	out := &ScrubReport{VerifyReport: rep, Check: c, BytesRead: read, Took: took}
	db.log.Info("scrub finished", "snapshots", rep.Snapshots, "bytes_read", read, "damaged_blobs", c.Content,
		"structural_problems", c.Structural, "took", out.Took.Round(time.Millisecond))
	return out, nil
}

// LastScrub returns the last finished scrub; ok is false when none was.
func (db *DB) LastScrub() (r ScrubRecord, ok bool, err error) {
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyLastScrub)
		if v == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: last scrub record: %v", ErrCorrupt, err)
		}
		return nil
	})
	return r, ok, err
}
