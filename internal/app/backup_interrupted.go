package app

import (
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// InterruptedBackup is a backup of several workspaces stopped by SIGINT or
// SIGTERM while it backed up Workspace: nothing of Workspace was stored,
// but the workspaces before it were (Stored) or failed (Failed), and those
// after it were not started. Workspace is "" when the run was stopped
// between two workspaces: NotStarted then begins with the next one. Its
// summary keeps a user from reading "nothing was stored" as true of the
// whole run. As an error (BackupWorkspaces returns it) it says what was
// cut off and that summary, and unwraps to Cause, the context's error.
type InterruptedBackup struct {
	Workspace  string               // the workspace whose run was cut off
	Stored     []*snapshot.Snapshot // stored in this run, in order
	Failed     []string             // failed in this run (each printed with its error)
	NotStarted []string             // after Workspace: not started
	Cause      error                // what stopped the run: the context's error
}

// Error is "backup of beta interrupted: " or, stopped between two
// workspaces, "backup interrupted before gamma started: ", then Summary.
func (b *InterruptedBackup) Error() string {
	what := "backup of " + b.Workspace + " interrupted"
	if b.Workspace == "" && len(b.NotStarted) > 0 {
		what = "backup interrupted before " + b.NotStarted[0] + " started"
	}
	return what + ": " + b.Summary()
}

// Unwrap returns Cause.
func (b *InterruptedBackup) Unwrap() error { return b.Cause }

// DescribesInterruption reports that b's text says what the interruption
// stopped: the command line does not name the command again.
func (b *InterruptedBackup) DescribesInterruption() bool { return true }

// Summary says what the run stored and what it did not, for the error of
// an interrupted backup: "nothing of beta was stored; stored in this run:
// acme (snapshot 1a2b3c4d); not started: gamma" (a snapshot stored as
// partial says so: "acme (snapshot 1a2b3c4d, partial)"). A backup of one workspace
// says only "nothing was stored".
func (b *InterruptedBackup) Summary() string {
	if len(b.Stored) == 0 && len(b.Failed) == 0 && len(b.NotStarted) == 0 {
		return "nothing was stored"
	}
	var parts []string
	if b.Workspace != "" {
		parts = append(parts, "nothing of "+b.Workspace+" was stored")
	}
	stored := "none"
	if len(b.Stored) > 0 {
		names := make([]string, len(b.Stored))
		for i, s := range b.Stored {
			names[i] = fmt.Sprintf("%s (snapshot %s)", s.Workspace, s.ShortID())
			if s.Status != snapshot.StatusComplete {
				names[i] = fmt.Sprintf("%s (snapshot %s, %s)", s.Workspace, s.ShortID(), s.Status)
			}
		}
		stored = strings.Join(names, ", ")
	}
	parts = append(parts, "stored in this run: "+stored)
	if len(b.Failed) > 0 {
		parts = append(parts, "failed: "+strings.Join(b.Failed, ", "))
	}
	if len(b.NotStarted) > 0 {
		parts = append(parts, "not started: "+strings.Join(b.NotStarted, ", "))
	}
	return strings.Join(parts, "; ")
}

// StoredSnapshotJSON names a snapshot a run stored.
type StoredSnapshotJSON struct {
	Workspace string          `json:"workspace"`
	ID        string          `json:"id"`
	ShortID   string          `json:"short_id"`
	Status    snapshot.Status `json:"status"`
}

// InterruptedBackupJSON is the --json line of an interrupted backup: the
// workspace cut off (status "aborted"), and the run's stored snapshots,
// failed workspaces and workspaces not started (empty lists, never null).
type InterruptedBackupJSON struct {
	Workspace  string               `json:"workspace"`
	Status     Status               `json:"status"`
	Error      string               `json:"error"`
	Stored     []StoredSnapshotJSON `json:"stored"`
	Failed     []string             `json:"failed"`
	NotStarted []string             `json:"not_started"`
}

// JSON is b as its --json line.
func (b *InterruptedBackup) JSON() InterruptedBackupJSON {
	out := InterruptedBackupJSON{
		Workspace:  b.Workspace,
		Status:     StatusAborted,
		Error:      "interrupted: " + b.Summary(),
		Stored:     []StoredSnapshotJSON{},
		Failed:     append([]string{}, b.Failed...),
		NotStarted: append([]string{}, b.NotStarted...),
	}
	for _, s := range b.Stored {
		out.Stored = append(out.Stored, StoredSnapshotJSON{Workspace: s.Workspace, ID: s.ID, ShortID: s.ShortID(), Status: s.Status})
	}
	return out
}
