package snapshot

import (
	"context"
	"fmt"
	"time"
)

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
// disk is never made to catch up with a burst. Prune waits while a scrub
// runs, as it waits for Verify; backups do not.
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
	rep, err := db.verify(true, nil, pace)
	if err != nil {
		return nil, fmt.Errorf("scrub: %w", err)
	}
	c, err := db.RecordCheck(rep)
	if err != nil {
		return nil, fmt.Errorf("scrub: %w", err)
	}
	out := &ScrubReport{VerifyReport: rep, Check: c, BytesRead: read, Took: time.Since(start)}
	db.log.Info("scrub finished", "snapshots", rep.Snapshots, "bytes_read", read, "damaged_blobs", c.Content,
		"structural_problems", c.Structural, "took", out.Took.Round(time.Millisecond))
	return out, nil
}
