package app

import (
	"bytes"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// HistoryEntry is one step in an object's history.
type HistoryEntry struct {
	Snapshot string             `json:"snapshot"`
	Time     time.Time          `json:"time"`
	Op       diff.Op            `json:"op"`
	Fields   []diff.FieldChange `json:"fields,omitempty"`
	Note     string             `json:"note,omitempty"`
}

// HistoryRequest names one object of a workspace.
type HistoryRequest struct {
	Workspace string
	Selector  selector.Selector
}

// HistoryResult is an object's history in a workspace.
type HistoryResult struct {
	Workspace string
	Snapshots int            // snapshots read
	Entries   []HistoryEntry // empty when the object is in none of them
}

// NotFound is the error to report for a history without entries.
func (h *HistoryResult) NotFound(sel selector.Selector) error {
	return fmt.Errorf("%s is in none of the %d snapshots of %s", sel.Text, h.Snapshots, h.Workspace)
}

// History follows one object through every snapshot of a workspace,
// oldest first: when it appeared, each change, when it disappeared, and
// the snapshots that could not read its kind.
func (s *Service) History(req HistoryRequest) (*HistoryResult, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	sel := req.Selector
	if sel.All {
		return nil, inputf("enspace-sync log --help", "%q names a whole kind: name one object, such as item:clients/1001", sel.Text)
	}
	ws, err := s.Workspace(req.Workspace, "log")
	if err != nil {
		return nil, err
	}
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, err
	}
	kinds := diff.Kinds()
	history := []HistoryEntry{}
	var prev []byte
	for _, sn := range snaps {
		if sn.Errors[sel.Kind] != "" {
			history = append(history, HistoryEntry{Snapshot: sn.ID, Time: sn.StartedAt, Op: diff.Unknown, Note: "the kind could not be read: " + sn.Errors[sel.Kind]})
			continue
		}
		raw, err := findObject(db, sn, sel)
		if err != nil {
			return nil, err
		}
		switch {
		case raw == nil && prev != nil:
			history = append(history, HistoryEntry{Snapshot: sn.ID, Time: sn.StartedAt, Op: diff.Removed})
		case raw != nil && prev == nil:
			history = append(history, HistoryEntry{Snapshot: sn.ID, Time: sn.StartedAt, Op: diff.Added})
		case raw != nil && !bytes.Equal(raw, prev):
			fields, noiseOnly, err := diff.Fields(kinds[sel.Kind], prev, raw)
			if err != nil {
				return nil, err
			}
			if !noiseOnly && len(fields) > 0 {
				history = append(history, HistoryEntry{Snapshot: sn.ID, Time: sn.StartedAt, Op: diff.Changed, Fields: fields})
			}
		}
		prev = raw
	}
	return &HistoryResult{Workspace: ws.Name, Snapshots: len(snaps), Entries: history}, nil
}
