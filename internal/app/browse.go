package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/scheduler"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// The browse use cases read what the dashboard shows: every job at a
// glance, a workspace's snapshots and runs, one snapshot's changes, two
// snapshots compared, and the storage. They only read the database.

// Point is one value of a series: a snapshot's (or a run's) value at its
// start time.
type Point struct {
	Time  time.Time
	Value int64
	Ref   string // the snapshot's full id; "" for a run without one
}

// RunView is one finished run of a job, with what its snapshot stored.
type RunView struct {
	StartedAt  time.Time
	FinishedAt time.Time
	Status     Status
	Snapshot   string // the snapshot's full id (a replication's: ""); "" when none was stored
	Objects    int    // objects of the snapshot
	AddedBytes int64  // bytes the snapshot added to the database
	Error      string
}

// Duration is how long the run took.
func (r RunView) Duration() time.Duration { return r.FinishedAt.Sub(r.StartedAt) }

// JobView is one job (a workspace's backups or a replication) at a glance.
type JobView struct {
	Name        string
	Replication bool
	Scrub       bool      // the daemon's scrub of the database (its LastRun only)
	Schedule    string    // "" for a workspace of the database that the config no longer names
	NextRun     time.Time // zero when none is scheduled
	LastRun     *RunView  // nil before the first finished run
	Snapshots   int
	// AnomalyIn is the newest snapshot that recorded anomalies ("" when
	// none did), Anomalies its anomalies, and AnomalyLatest whether it is
	// the newest snapshot of all.
	AnomalyIn     string
	Anomalies     []string
	AnomalyLatest bool
	Objects       []Point // objects per snapshot, oldest first
}

// Overview lists every job of the config, then the workspaces the
// database holds snapshots of that the config no longer names. NextRun is
// the schedule's next activation after now in the config's time zone (the
// daemon adds its jitter to it).
func (s *Service) Overview(now time.Time) ([]JobView, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	snaps, err := db.Snapshots("")
	if err != nil {
		return nil, err
	}
	runs, err := db.Runs("")
	if err != nil {
		return nil, err
	}
	byWS := map[string][]*snapshot.Snapshot{}
	for _, sn := range snaps {
		byWS[sn.Workspace] = append(byWS[sn.Workspace], sn)
	}
	lastRun := map[string]snapshot.Run{}
	for _, r := range runs {
		if r.Outcome != snapshot.OutcomeRunning {
			lastRun[r.Workspace] = r
		}
	}
	loc := s.Location()
	var out []JobView
	seen := map[string]bool{}
	for _, job := range s.Jobs() {
		if job.Offsite {
			continue // not a workspace: status and metrics show the targets
		}
		v := JobView{Name: job.Name, Replication: job.Replication, Schedule: job.Schedule}
		if sched, err := scheduler.ParseSchedule(job.Schedule); err == nil {
			v.NextRun = sched.Next(now.In(loc))
		}
		if job.Scrub {
			h, err := s.scrubHistory()
			if err != nil {
				return nil, err
			}
			if r := h.LastRun; r != nil {
				v.LastRun = &RunView{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Error: r.Error}
			}
			v.Scrub = true
			out = append(out, v)
			continue
		}
		if job.Replication {
			h, err := s.replicationHistory(job.Name)
			if err != nil {
				return nil, err
			}
			if r := h.LastRun; r != nil {
				v.LastRun = &RunView{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Error: r.Error}
			}
			out = append(out, v)
			continue
		}
		seen[job.Name] = true
		out = append(out, workspaceJob(v, byWS[job.Name], lastRun))
	}
	for _, sn := range snaps {
		if !seen[sn.Workspace] {
			seen[sn.Workspace] = true
			out = append(out, workspaceJob(JobView{Name: sn.Workspace}, byWS[sn.Workspace], lastRun))
		}
	}
	return out, nil
}

// workspaceJob fills in a workspace's snapshots and last run.
func workspaceJob(v JobView, snaps []*snapshot.Snapshot, lastRun map[string]snapshot.Run) JobView {
	v.Snapshots = len(snaps)
	byID := map[string]*snapshot.Snapshot{}
	for _, sn := range snaps {
		byID[sn.ID] = sn
		v.Objects = append(v.Objects, Point{Time: sn.StartedAt, Value: int64(sn.Objects), Ref: sn.ID})
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		if len(snaps[i].Anomalies) > 0 {
			v.AnomalyIn, v.Anomalies, v.AnomalyLatest = snaps[i].ID, snaps[i].Anomalies, i == len(snaps)-1
			break
		}
	}
	if r, ok := lastRun[v.Name]; ok {
		v.LastRun = runView(r, byID[r.ID])
	}
	return v
}

func runView(r snapshot.Run, sn *snapshot.Snapshot) *RunView {
	v := &RunView{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: RunStatus(r), Error: r.Error, Objects: r.Objects}
	if sn != nil {
		v.Snapshot, v.Objects, v.AddedBytes = sn.ID, sn.Objects, sn.AddedBytes
	}
	return v
}

// WorkspaceView is a workspace's stored history: its snapshots and its
// finished runs (those that stored no snapshot too), oldest first.
type WorkspaceView struct {
	Name      string
	Snapshots []*snapshot.Snapshot
	Runs      []RunView
}

// WorkspaceHistory reads a workspace's snapshots and runs. A workspace
// that neither the config nor the database knows is an error wrapping
// snapshot.ErrNotFound.
func (s *Service) WorkspaceHistory(name string) (*WorkspaceView, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	snaps, err := db.Snapshots(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.Config().Workspace(name); err != nil && len(snaps) == 0 {
		return nil, fmt.Errorf("workspace %q: %w", name, snapshot.ErrNotFound)
	}
	runs, err := db.Runs(name)
	if err != nil {
		return nil, err
	}
	byID := map[string]*snapshot.Snapshot{}
	for _, sn := range snaps {
		byID[sn.ID] = sn
	}
	v := &WorkspaceView{Name: name, Snapshots: snaps}
	for _, r := range runs {
		if r.Outcome != snapshot.OutcomeRunning {
			v.Runs = append(v.Runs, *runView(r, byID[r.ID]))
		}
	}
	return v, nil
}

// AnomalyView is an anomaly a snapshot recorded, with the commands that
// bring back what it lost.
type AnomalyView struct {
	What string
	// Restore is the restore command from the snapshot before the drop,
	// and Preview the same with --dry-run; both "" when the drop can no
	// longer be told apart (the config's threshold changed since): Diff
	// then shows what was lost.
	Restore, Preview string
	Diff             string
}

// ChangesView is the changes between two snapshots of a workspace.
type ChangesView struct {
	From, To  *snapshot.Snapshot // From is nil for a workspace's first snapshot
	Result    *diff.Result       // nil when From is nil
	Anomalies []AnomalyView      // To's recorded anomalies (a snapshot's page only)
}

// SnapshotChanges reads a snapshot of a workspace ("" for any; a
// workspace the config no longer names too) by any ref ResolveSnapshot
// takes, and its changes since the snapshot it was compared
// with when it was taken (the previous complete one), or, when it recorded
// none, since the snapshot before it.
func (s *Service) SnapshotChanges(workspace, ref string) (*ChangesView, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	// The workspace may be one the config no longer names: its snapshots
	// are still there to read.
	snap, err := db.Resolve(workspace, ref)
	if errors.Is(err, snapshot.ErrBadRef) {
		return nil, &InputError{Msg: err.Error(), Hint: "enspace-sync snapshots"}
	}
	if err != nil {
		return nil, err
	}
	prev, err := previousOf(db, snap)
	if err != nil || prev == nil {
		return &ChangesView{To: snap}, err
	}
	res, err := compareSnapshots(db, prev, snap, nil)
	if err != nil {
		return nil, err
	}
	v := &ChangesView{From: prev, To: snap, Result: res}
	threshold := config.DefaultAnomalyThreshold
	if ws, err := s.Config().Workspace(snap.Workspace); err == nil {
		threshold = ws.AnomalyThreshold
	}
	found := map[string]string{}
	for _, a := range findAnomalies(prev, snap, res, threshold) {
		found[a.What] = a.Selector
	}
	for _, what := range snap.Anomalies {
		a := AnomalyView{What: what, Diff: fmt.Sprintf("enspace-sync diff --workspace %s %s %s", snap.Workspace, prev.ShortID(), snap.ShortID())}
		if sel, ok := found[what]; ok {
			a.Restore = RestoreCommand(snap.Workspace, prev.ShortID(), sel)
			a.Preview = a.Restore + " --dry-run"
		}
		v.Anomalies = append(v.Anomalies, a)
	}
	return v, nil
}

// RestoreCommand is the command that restores what selector names from a
// snapshot of a workspace.
func RestoreCommand(workspace, snap, selector string) string {
	return fmt.Sprintf("enspace-sync restore --workspace %s --snapshot %s %s", workspace, snap, selector)
}

// previousOf returns the snapshot snap was compared with when taken, or the
// one before it; nil for a workspace's first snapshot.
func previousOf(db *snapshot.DB, snap *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	if snap.Changes != nil && snap.Changes.Since != "" {
		prev, err := db.Resolve(snap.Workspace, snap.Changes.Since)
		if err == nil {
			return prev, nil
		}
		if !errors.Is(err, snapshot.ErrNotFound) {
			return nil, err
		}
		// Forgotten since: fall back to the one before.
	}
	snaps, err := db.Snapshots(snap.Workspace)
	if err != nil {
		return nil, err
	}
	for i, sn := range snaps {
		if sn.ID == snap.ID && i > 0 {
			return snaps[i-1], nil
		}
	}
	return nil, nil
}

// CompareRefs compares two snapshots of one workspace named by refs (ids
// or unique id prefixes).
func (s *Service) CompareRefs(from, to string) (*ChangesView, error) {
	a, err := s.ResolveSnapshot("", from)
	if err != nil {
		return nil, err
	}
	b, err := s.ResolveSnapshot("", to)
	if err != nil {
		return nil, err
	}
	res, err := s.Compare(a, b, nil)
	if err != nil {
		return nil, err
	}
	return &ChangesView{From: a, To: b, Result: res}, nil
}

// StorageView is what the database takes, and what it would take without
// sharing identical objects between snapshots.
type StorageView struct {
	FileBytes  int64 // the database file's size now
	Blobs      int   // distinct objects stored
	BlobBytes  int64 // their stored (compressed) bytes
	References int64 // objects over all snapshots: what would be stored without dedup
	// Added is each snapshot's added bytes, and Live the running total of
	// the bytes added by the snapshots still kept, oldest first: the
	// database does not record its file size over time, and a forgotten
	// snapshot's additions that later ones share are counted with those.
	Added, Live []Point
}

// DedupRatio is the objects referenced over the objects stored: how many
// times each stored object serves, on average.
func (v *StorageView) DedupRatio() float64 {
	if v.Blobs == 0 {
		return 0
	}
	return float64(v.References) / float64(v.Blobs)
}

// Storage reads the database's size, its stored objects and each
// snapshot's additions.
func (s *Service) Storage() (*StorageView, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	v := &StorageView{}
	if v.FileBytes, err = db.Size(); err != nil {
		return nil, err
	}
	u, err := db.Usage()
	if err != nil {
		return nil, err
	}
	v.Blobs, v.BlobBytes = u.Blobs, u.BlobBytes
	snaps, err := db.Snapshots("")
	if err != nil {
		return nil, err
	}
	var live int64
	for _, sn := range snaps {
		v.References += int64(sn.Objects)
		live += sn.AddedBytes
		v.Added = append(v.Added, Point{Time: sn.StartedAt, Value: sn.AddedBytes, Ref: sn.ID})
		v.Live = append(v.Live, Point{Time: sn.StartedAt, Value: live, Ref: sn.ID})
	}
	return v, nil
}
