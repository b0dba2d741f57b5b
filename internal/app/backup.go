package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BackupRequest names the workspace to back up.
type BackupRequest struct {
	Workspace string // its name in the config
	Progress  Progress
}

// BackupResult is a committed snapshot, with its changes since the previous
// complete snapshot and its anomalies recorded in it.
type BackupResult struct {
	Snapshot  *snapshot.Snapshot
	Anomalies []Anomaly // drops found against the previous complete snapshot
	// Before is the previous complete snapshot (nil for the first).
	Before *snapshot.Snapshot
}

// Backup walks a workspace into a new snapshot and commits it, or aborts
// the run so that nothing half-written becomes visible. Then it compares
// the snapshot with the previous complete one, records the summary and the
// anomalies in it, protects the snapshot before a drop, and logs each
// anomaly as a warning with the command that brings the data back.
func (s *Service) Backup(ctx context.Context, req BackupRequest) (*BackupResult, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	if err := refuseDamaged(db); err != nil {
		return nil, err
	}
	ws, err := s.Workspace(req.Workspace, "backup")
	if err != nil {
		return nil, err
	}
	client, err := s.Client(ws)
	if err != nil {
		s.recordFailedStart(db, ws.Name, time.Now(), err)
		return nil, err
	}
	progress := orNoProgress(req.Progress)
	log := s.log.With("workspace", ws.Name)
	before := client.Stats().Requests
	w, err := db.Begin(ws.Name, time.Now())
	if err != nil {
		return nil, err
	}
	log.Info("backup started", "run", w.ID())
	prev, err := lastComplete(db, ws.Name)
	if err != nil {
		_ = w.Abort(err)
		return nil, err
	}
	walkCtx := ctx
	if prev != nil {
		progress.Expect(int64(prev.Objects), nil, true) // about as many as last time
	} else {
		// The first backup: about the sum of the count routes' answers,
		// growing as the listings start (items are counted per type as
		// soon as the type is stored, so the bulk is known early).
		var counted atomic.Int64
		walkCtx = api.WithCountHook(ctx, func(_ string, n int) {
			progress.Expect(counted.Add(int64(n)), nil, true)
		})
	}
	res, err := backup.Run(walkCtx, client, summedWriter{w}, backup.Options{
		Workspace: ws.Slug,
		Filter:    ws.Includes,
		Logger:    log,
		Progress:  progress.Update,
	})
	if err != nil {
		reason := err
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			reason = fmt.Errorf("%w: %w", ctx.Err(), err) // recorded as cancelled, whatever stopped first
		}
		if abortErr := w.Abort(reason); abortErr != nil {
			log.Error("abort the run", "err", abortErr)
		}
		return nil, explainBackup(err, ws, client)
	}
	if res.NotTheAPI {
		err := notTheAPI(ws, client)
		if abortErr := w.Abort(err); abortErr != nil {
			log.Error("abort the run", "err", abortErr)
		}
		return nil, err
	}
	var out *BackupResult
	snap, err := w.Commit(snapshot.CommitInfo{
		FinishedAt: time.Now(),
		Requests:   int64(client.Stats().Requests - before),
		Config:     runConfig(ws),
		Drift:      res.Drift,
		Walked:     slices.Sorted(maps.Keys(res.Counts)),
		Annotate: func(snap *snapshot.Snapshot) (*snapshot.Annotation, error) {
			res, note, err := s.annotate(db, prev, snap, ws)
			out = res
			return note, err
		},
	})
	if err != nil {
		return nil, fmt.Errorf("commit the snapshot: %w", err)
	}
	log.Info("backup finished", "snapshot", snap.ShortID(), "status", snap.Status, "objects", snap.Objects,
		"requests", snap.Requests, "added_bytes", snap.AddedBytes)
	if out == nil {
		return &BackupResult{Snapshot: snap}, nil // the summary could not be computed: logged by the store
	}
	out.Snapshot = snap
	for _, a := range out.Anomalies {
		log.Warn("anomaly: "+a.What, "snapshot", snap.ShortID(), "before", out.Before.ShortID(),
			"hint", RestoreHint(ws.Name, out.Before.ShortID(), a.Selector))
	}
	return out, nil
}

// accessHint adds, to an error of a refused key, which key and workspace.
func accessHint(err error, ws *config.Workspace) error {
	if errors.Is(err, backup.ErrAccess) {
		return fmt.Errorf("%w (check the API key of environment %s and its access to workspace %q)", err, ws.Environment, ws.Slug)
	}
	return err
}

// lastComplete returns the newest complete snapshot of a workspace; nil
// when it has none.
func lastComplete(db *snapshot.DB, workspace string) (*snapshot.Snapshot, error) {
	snaps, err := db.Snapshots(workspace)
	if err != nil {
		return nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		if snaps[i].Status == snapshot.StatusComplete {
			return snaps[i], nil
		}
	}
	return nil, nil
}

// annotate compares snap, about to be committed, with prev, the newest
// complete snapshot of its workspace when the run began: the changes and
// anomalies to record with it, and the protection of the snapshot before a
// drop.
func (s *Service) annotate(db *snapshot.DB, prev, snap *snapshot.Snapshot, ws *config.Workspace) (*BackupResult, *snapshot.Annotation, error) {
	if prev == nil {
		return &BackupResult{}, nil, nil // the first snapshot: nothing to compare with
	}
	res, err := compareSnapshots(db, prev, snap, nil)
	if err != nil {
		return nil, nil, err
	}
	anomalies := findAnomalies(prev, snap, res, ws.AnomalyThreshold)
	note := &snapshot.Annotation{Changes: changesOf(prev, res)}
	for i, a := range anomalies {
		if i == 0 {
			prev.Protected = "last before a drop in " + snap.ShortID() + ": " + a.What
			note.Protect = map[string]string{prev.ID: prev.Protected}
		}
		note.Anomalies = append(note.Anomalies, a.What)
	}
	return &BackupResult{Anomalies: anomalies, Before: prev}, note, nil
}

// RestoreHint is the command that brings back what an anomaly lost.
func RestoreHint(workspace, snap, selector string) string {
	return fmt.Sprintf("see the plan with: enspace-sync restore --workspace %s --snapshot %s %s --dry-run (without --dry-run it brings it back)",
		workspace, snap, selector)
}

// runConfig is what a snapshot records of the config that produced it.
func runConfig(ws *config.Workspace) map[string]any {
	env := ws.Env()
	return map[string]any{
		"workspace": ws.Name, "slug": ws.Slug, "environment": ws.Environment,
		"base_url": env.BaseURL, "include": ws.Include, "exclude": ws.Exclude,
	}
}

// summedWriter hands the walker's summed objects to the run's PutCopy:
// the client took each page object's canonical SHA-256 while it checked
// the page (api.Object.Sum), which is the store's ContentHash, so the
// store does not canonicalise and hash it again. The walker lists with
// the client's ListLent (backup.CopyingSink): the store copies each
// object's bytes into buffers it uses again batch after batch, and the
// client reads page after page into buffers of its own, instead of a fresh
// buffer a page that the store kept until its objects were written.
// PutSum (the objects of a page the client never reuses) keeps them
// without a copy.
type summedWriter struct{ *snapshot.Writer }

var _ backup.CopyingSink = summedWriter{}

func (w summedWriter) PutSum(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error {
	return w.PutOwned(kind, parent, key, snapshot.Hash(sum), raw)
}

func (w summedWriter) PutSumCopy(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error {
	return w.PutCopy(kind, parent, key, snapshot.Hash(sum), raw)
}

// recordFailedStart records a run that started at started and failed
// before it began (its environment's key file cannot be read), so that the
// run history, the dashboard and a restarted daemon's status show it. The
// daemon's job passes its result's start: the record is then not newer than
// the result, and /v1/status keeps the result's config_error.
func (s *Service) recordFailedStart(db *snapshot.DB, workspace string, started time.Time, err error) {
	if ferr := db.FailRun(workspace, started, err); ferr != nil {
		s.log.Error("record the failed run", "workspace", workspace, "err", ferr)
	}
}
