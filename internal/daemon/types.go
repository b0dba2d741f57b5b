package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// Run statuses, as Result.Status and RunInfo.Status report them.
const (
	StatusComplete = "complete" // a complete snapshot was stored
	StatusPartial  = "partial"  // a partial snapshot was stored (some kinds not read)
	StatusFailed   = "failed"   // no snapshot: the run failed
	StatusAborted  = "aborted"  // no snapshot: the run was stopped (daemon stopping)
	// StatusHeld is a replication whose plan would change more than its
	// limit: nothing was applied, and a person must look.
	StatusHeld = "held"
)

// Sentinel errors.
var (
	// ErrUnknownWorkspace is returned by Trigger for a name the daemon does not schedule.
	ErrUnknownWorkspace = errors.New("unknown workspace")
	// ErrBusy is returned by Trigger when the workspace's run is in progress.
	ErrBusy = errors.New("a run of this workspace is in progress")
	// ErrStopping is returned by Trigger once Stop has begun.
	ErrStopping = errors.New("the daemon is stopping")
)

// Workspace is what the daemon schedules of one workspace: its backups,
// or, when Replication is set, a replication's runs.
type Workspace struct {
	Name     string // the workspace's (or replication's) name in the config
	Schedule string // a cron spec or descriptor, as internal/scheduler reads it
	// Replication says the job is a replication: it runs Options.Replicate,
	// keeps no snapshots, has no retention and does not count for /readyz.
	Replication bool
}

// Settings are the reloadable part of the daemon's configuration.
type Settings struct {
	Workspaces []Workspace
	Location   *time.Location // the zone of schedules; nil means time.Local
}

// RunInfo is one finished run as the status API shows it.
type RunInfo struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     string    `json:"status"`
	Snapshot   string    `json:"snapshot"` // short id; "" when no snapshot was stored
	Error      string    `json:"error"`
}

// APIStats are the API requests one run made.
type APIStats struct {
	ByStatus map[int]int // attempts by HTTP status; 0 for those without a complete answer
	Retries  int         // attempts that repeated a failed one
}

// Result is the outcome of one backup run, as Options.Backup returns it.
type Result struct {
	RunInfo
	Workspace string
	Counts    map[string]int // objects stored, by kind
	API       APIStats
	Anomalies []string // drops flagged in the snapshot
	Summary   string   // one line for a person (counts, changes, kinds not read)
	Hint      string   // the command that shows or restores what went wrong
}

// Retention is what Options.Retain removed after a run.
type Retention struct {
	Removed     int   // snapshots forgotten
	PrunedBytes int64 // bytes of stored objects freed
}

// History is what the database knows of a workspace.
type History struct {
	LastRun    *RunInfo       // the last finished run (nil: none)
	LastBackup *RunInfo       // the last finished run that was not aborted (nil: none)
	LastOK     time.Time      // when the last complete snapshot finished (zero: never)
	Snapshots  int            // snapshots stored
	Counts     map[string]int // objects per kind of the newest snapshot
}

// Database is what the daemon needs of the snapshot database.
type Database interface {
	// WriteTo writes a consistent copy of the whole database to w.
	WriteTo(w io.Writer) (int64, error)
	// Size returns the database file's size in bytes.
	Size() (int64, error)
}

// Options wire the daemon to the rest of the program. Backup, History and
// DB are required.
type Options struct {
	// Backup runs one backup of the named workspace. ctx ends when the
	// daemon stops: the backup must then abort so nothing half-written
	// becomes visible, and report StatusAborted.
	Backup func(ctx context.Context, workspace string) Result
	// Replicate runs one replication (a Workspace with Replication set);
	// nil when the config has none. ctx ends when the daemon stops.
	Replicate func(ctx context.Context, name string) Result
	// Retain applies the workspace's retention (forget, then prune) after a
	// run that stored a snapshot; nil skips retention.
	Retain func(ctx context.Context, workspace string) (Retention, error)
	// History reads what the database knows of a workspace: at Start and
	// after each run.
	History func(workspace string) (History, error)
	// Notify hears of every finished run; nil means nobody. It must not
	// fail the daemon: it is called in the run's goroutine.
	Notify func(ctx context.Context, r Result)
	// DB serves /v1/db and the database size metric.
	DB Database
	// Version is reported by /v1/status and enspace_sync_build_info.
	Version string
	// Logger receives the daemon's records; nil means slog.Default().
	Logger *slog.Logger
	// Clock is the scheduler's and the daemon's time source; nil means the real one.
	Clock scheduler.Clock
	// Jitter is the scheduler's random delay before scheduled runs.
	Jitter time.Duration
	// Getenv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; nil
	// means os.Getenv.
	Getenv func(string) string
}
