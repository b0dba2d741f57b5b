package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BackupEach is what BackupWorkspaces tells its caller of each workspace,
// as it goes: the command line draws a progress line and prints each
// snapshot or failure. Every field may be nil.
type BackupEach struct {
	// Start is called as ws's run starts; it returns the run's Progress
	// and a function called when the run ends, stored or not.
	Start func(ws *config.Workspace) (Progress, func())
	// Stored is called for each snapshot stored, complete or partial.
	Stored func(*BackupResult)
	// Failed is called for each workspace whose run failed (not one cut
	// off by ctx), with its error.
	Failed func(workspace string, err error)
}

// BackupWorkspaces backs up workspaces in order, each into a new snapshot
// (Backup), going on past one that fails. It returns nil when every one
// was stored complete; a *BackupsError when some failed or a snapshot is
// partial; an *InterruptedBackup when ctx ended, during a workspace's run
// or between two (the next one is not started, nor the rest).
func (s *Service) BackupWorkspaces(ctx context.Context, workspaces []*config.Workspace, each BackupEach) error {
	out := &BackupsError{Workspaces: len(workspaces)}
	var stored []*snapshot.Snapshot
	for i, ws := range workspaces {
		if ctx.Err() != nil {
			// Stopped between workspaces (while the one before was
			// committed): this one was not started, nor are the rest.
			return &InterruptedBackup{Stored: stored, Failed: out.names(), NotStarted: workspaceNames(workspaces[i:]), Cause: ctx.Err()}
		}
		var progress Progress
		done := func() {}
		if each.Start != nil {
			progress, done = each.Start(ws)
		}
		res, err := s.Backup(ctx, BackupRequest{Workspace: ws.Name, Progress: progress})
		if done != nil {
			done()
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return &InterruptedBackup{Workspace: ws.Name, Stored: stored, Failed: out.names(), NotStarted: workspaceNames(workspaces[i+1:]), Cause: ctx.Err()}
		case err != nil:
			out.Failed = append(out.Failed, WorkspaceError{Workspace: ws.Name, Err: err})
			if each.Failed != nil {
				each.Failed(ws.Name, err)
			}
			continue
		case res.Snapshot.Status == snapshot.StatusPartial:
			out.PartialSnapshots++
		}
		stored = append(stored, res.Snapshot)
		if each.Stored != nil {
			each.Stored(res)
		}
	}
	if len(out.Failed) == 0 && out.PartialSnapshots == 0 {
		return nil
	}
	return out
}

// workspaceNames is the names of ws, in order.
func workspaceNames(ws []*config.Workspace) []string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	return names
}

// BackupsError is the outcome of a backup of several workspaces (or one)
// that was not entirely stored complete: some failed, each printed with
// its error as it failed, or some snapshot is partial. Every workspace
// ran. Over several workspaces with failures its text names the failed
// ones: "2 of 3 workspaces failed: a, b (the others were stored)", "the
// backups of all 2 workspaces failed: a, b". It does not unwrap to the
// workspaces' errors: each was reported, with its hint, as it failed.
type BackupsError struct {
	Workspaces       int              // how many ran
	Failed           []WorkspaceError // those that failed, in order
	PartialSnapshots int              // stored as partial
}

// WorkspaceError is one workspace's failure.
type WorkspaceError struct {
	Workspace string
	Err       error
}

func (e *BackupsError) Error() string {
	if s := e.Summary(); s != "" {
		return s
	}
	if len(e.Failed) > 0 {
		return e.Failed[0].Err.Error()
	}
	return fmt.Sprintf("%d of %d snapshots stored as partial", e.PartialSnapshots, e.Workspaces)
}

// Summary is the last line of a backup of several workspaces some of
// which failed, naming them; "" when there is nothing to add to what was
// printed as each workspace ended (one workspace, or none failed).
func (e *BackupsError) Summary() string {
	n := len(e.Failed)
	switch {
	case n == 0 || e.Workspaces == 1:
		return ""
	case n == e.Workspaces:
		return fmt.Sprintf("the backups of all %d workspaces failed: %s", e.Workspaces, strings.Join(e.names(), ", "))
	}
	return fmt.Sprintf("%d of %d workspaces failed: %s (the others were stored)", n, e.Workspaces, strings.Join(e.names(), ", "))
}

// names is the failed workspaces' names, in order.
func (e *BackupsError) names() []string {
	names := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		names[i] = f.Workspace
	}
	return names
}

// AllConfig reports whether every failure is a key file the config could
// not read (a *SecretError): when none was stored, nothing was tried, as
// for an invalid config. The rule of TargetsError.AllConfig.
func (e *BackupsError) AllConfig() bool { return AllSecret(e.errs()) }

// Partial reports whether part of the work was done: some workspaces
// were stored and others failed, or a snapshot is partial.
func (e *BackupsError) Partial() bool {
	return len(e.Failed) < e.Workspaces && (len(e.Failed) > 0 || e.PartialSnapshots > 0)
}

func (e *BackupsError) errs() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}
