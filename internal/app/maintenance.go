package app

import (
	"context"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Prune deletes the stored objects no snapshot uses.
func (s *Service) Prune() (snapshot.PruneStats, error) {
	db, err := s.needDB()
	if err != nil {
		return snapshot.PruneStats{}, err
	}
	return db.Prune()
}

// Verify checks every snapshot's records, trees and references, and with
// readData re-hashes every stored object. It stops when ctx is done.
func (s *Service) Verify(ctx context.Context, readData bool) (*snapshot.VerifyReport, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	return db.VerifyContext(ctx, readData, nil)
}

// Compact gives the space forget and prune freed back to the file system:
// the database is rewritten without free pages and closed.
func (s *Service) Compact() (snapshot.CompactStats, error) {
	db, err := s.needDB()
	if err != nil {
		return snapshot.CompactStats{}, err
	}
	return db.CompactAndClose()
}
