package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// ResolveSnapshot finds the snapshot ref names: an id, a unique id prefix,
// latest or latest~N of the workspace (which may be "" for an id when the
// config has several workspaces).
func (s *Service) ResolveSnapshot(workspace, ref string) (*snapshot.Snapshot, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	if workspace != "" || strings.HasPrefix(ref, "latest") {
		ws, err := s.Workspace(workspace, fmt.Sprintf("%q", ref))
		if err != nil {
			return nil, err
		}
		workspace = ws.Name
	}
	snap, err := db.Resolve(workspace, ref)
	if errors.Is(err, snapshot.ErrBadRef) {
		return nil, &InputError{Msg: err.Error(), Hint: "enspace-sync snapshots"}
	}
	return snap, err
}

// SnapshotAt finds the newest snapshot of the workspace started at or
// before t.
func (s *Service) SnapshotAt(workspace string, t time.Time) (*snapshot.Snapshot, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	ws, err := s.Workspace(workspace, "--at")
	if err != nil {
		return nil, err
	}
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, err
	}
	var found *snapshot.Snapshot
	for _, sn := range snaps {
		if !sn.StartedAt.After(t) {
			found = sn
		}
	}
	if found == nil {
		return nil, fmt.Errorf("workspace %s has no snapshot at or before %s", ws.Name, t.Format(time.RFC3339))
	}
	return found, nil
}

// DiffEnds picks the two snapshots diff compares: refs A and B; A and the
// latest; or, with no refs, the latest complete snapshot and the one
// before it.
func (s *Service) DiffEnds(workspace string, refs []string) (from, to *snapshot.Snapshot, err error) {
	db, err := s.needDB()
	if err != nil {
		return nil, nil, err
	}
	switch len(refs) {
	case 2:
		if from, err = s.ResolveSnapshot(workspace, refs[0]); err != nil {
			return nil, nil, err
		}
		to, err = s.ResolveSnapshot(workspace, refs[1])
		return from, to, err
	case 1:
		if from, err = s.ResolveSnapshot(workspace, refs[0]); err != nil {
			return nil, nil, err
		}
		to, err = db.Resolve(from.Workspace, "latest")
		return from, to, err
	}
	ws, err := s.Workspace(workspace, "diff")
	if err != nil {
		return nil, nil, err
	}
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, nil, err
	}
	last := -1
	for i := len(snaps) - 1; i >= 0; i-- {
		if snaps[i].Status == snapshot.StatusComplete {
			last = i
			break
		}
	}
	if last < 1 {
		return nil, nil, fmt.Errorf("workspace %s has no two snapshots to compare (a complete one and one before it): run enspace-sync backup", ws.Name)
	}
	return snaps[last-1], snaps[last], nil
}
