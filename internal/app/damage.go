package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// ErrDamaged is wrapped by the refusal of Backup (and of the daemon's
// start) to write into a database whose last check found structural damage.
var ErrDamaged = errors.New("the database is damaged")

// RepairCommand is what brings a damaged database back to a state backups
// may write into.
const RepairCommand = "enspace-sync verify --repair"

// RepairReport is what Repair found and recorded.
type RepairReport struct {
	*snapshot.VerifyReport
	Check snapshot.Check
	// Healable lists the damaged blobs (by the snapshots and objects that
	// refer to them, Problem.Content): recorded, so the next backup that
	// fetches those objects stores them afresh, which heals every snapshot
	// that refers to them. Objects gone from the server since can only come
	// back from another copy of the database.
	Healable []snapshot.Problem
	// Structural lists the damage no backup heals: the snapshots named can
	// only be forgotten (enspace-sync forget) or brought back from another
	// copy of the database. While any remains, backups refuse to run.
	Structural []snapshot.Problem
}

// Repair checks every snapshot and re-hashes every stored object, records
// the blobs found damaged so that deduplication no longer reuses them (the
// next backup stores them afresh under the same address, healing every
// snapshot that referred to them), and records the check's outcome, which
// Backup consults. It needs the database open read-write. It stops, with
// ctx's error and nothing recorded, soon after ctx is done (Ctrl-C).
func (s *Service) Repair(ctx context.Context) (*RepairReport, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	rep, err := db.VerifyContext(ctx, true, nil)
	if err != nil {
		return nil, err
	}
	c, err := db.RecordCheck(rep)
	if err != nil {
		return nil, err
	}
	out := &RepairReport{VerifyReport: rep, Check: c}
	for _, p := range rep.Problems {
		if p.Content {
			out.Healable = append(out.Healable, p)
		} else {
			out.Structural = append(out.Structural, p)
		}
	}
	s.log.Info("database repaired", "snapshots", rep.Snapshots, "damaged_blobs", c.Content, "structural_problems", c.Structural)
	return out, nil
}

// refuseDamaged returns an error wrapping ErrDamaged when the last recorded
// check of db found structural damage. Content damage does not refuse: the
// next backup heals it.
func refuseDamaged(db *snapshot.DB) error {
	c, ok, err := db.LastCheck()
	if err != nil {
		return fmt.Errorf("%w: %w; run %s", ErrDamaged, err, RepairCommand)
	}
	if !ok || c.Structural == 0 {
		return nil
	}
	return fmt.Errorf("%w: its check of %s found %d structural problems (the first: %s); backups do not write into it. "+
		"Run %s to see them, then forget the damaged snapshots or start from a new database, and run %s again",
		ErrDamaged, c.Time.Format("2006-01-02 15:04:05Z"), c.Structural, c.FirstProblem, RepairCommand, RepairCommand)
}
