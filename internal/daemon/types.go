package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// Run statuses, as Result.Status and RunInfo.Status report them: the
// program's one vocabulary (internal/app).
const (
	StatusComplete = app.StatusComplete
	StatusPartial  = app.StatusPartial
	StatusFailed   = app.StatusFailed
	StatusAborted  = app.StatusAborted
	StatusHeld     = app.StatusHeld
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
	// Scrub says the job is the scrub (Jobs.RunScrub): it has no
	// retention, does not count for /readyz, has metrics of its own
	// (enspace_sync_scrub_*) and shows in Status.Scrub.
	Scrub bool
	// Offsite says the job pushes to an offsite target
	// (Jobs.RunOffsitePush); AfterBackup that it also runs after every
	// backup that stored a snapshot. It has no retention and does not
	// count for /readyz.
	Offsite, AfterBackup bool
	// StaleAfter is how long an offsite target may go without receiving
	// a snapshot before the daemon notifies (0: never).
	StaleAfter time.Duration
}

// Settings are the reloadable part of the daemon's configuration.
type Settings struct {
	Workspaces []Workspace    // every job: workspaces' backups, replications, the scrub, offsite pushes
	Location   *time.Location // the zone of schedules; nil means time.Local
}

// counts returns how many jobs back up a workspace, how many replicate,
// and how many are the scrub or offsite pushes.
func (s Settings) counts() (workspaces, replications, other int) {
	for _, w := range s.Workspaces {
		switch {
		case w.Replication:
			replications++
		case w.Scrub || w.Offsite:
			other++
		default:
			workspaces++
		}
	}
	return workspaces, replications, other
}

// summary is the systemd status line: "scheduled 1 workspace, 1
// replication, 2 other jobs".
func (s Settings) summary() string {
	ws, repl, other := s.counts()
	out := "scheduled " + plural(ws, "workspace")
	if repl > 0 {
		out += ", " + plural(repl, "replication")
	}
	if other > 0 {
		out += ", " + plural(other, "other job")
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// The run records the daemon keeps and reports are the program's (see
// internal/app); the names here are for the daemon's own code.
type (
	RunInfo   = app.RunInfo
	APIStats  = app.APIStats
	Result    = app.JobResult
	Retention = app.Retention
	History   = app.JobHistory
)

// Jobs is what the daemon runs: *app.Service implements it, tests use
// JobFuncs.
type Jobs interface {
	// RunBackup runs one backup of the named workspace. ctx ends when the
	// daemon stops: the backup must then abort so nothing half-written
	// becomes visible, and report StatusAborted.
	RunBackup(ctx context.Context, workspace string) Result
	// RunReplication runs one replication (a Workspace with Replication
	// set). ctx ends when the daemon stops.
	RunReplication(ctx context.Context, name string) Result
	// RunScrub reads every stored object back and records what is
	// damaged; Result.Scrub holds what it read and found. ctx ends when
	// the daemon stops: the scrub then stops and reports StatusAborted.
	RunScrub(ctx context.Context) Result
	// RunOffsitePush pushes to an offsite target (a Workspace with Offsite
	// set), retrying as it sees fit. ctx ends when the daemon stops.
	RunOffsitePush(ctx context.Context, name string) Result
	// OffsiteLastReceived reads when the target of the push job name last
	// received one of this daemon's snapshots (zero: never): where the
	// stale check starts after a restart.
	OffsiteLastReceived(ctx context.Context, name string) (time.Time, error)
	// RetainJob applies the workspace's retention (forget, then prune)
	// after a run that stored a snapshot.
	RetainJob(ctx context.Context, workspace string) (Retention, error)
	// JobHistory reads what the database knows of a workspace or a
	// replication: at Start and after each run.
	JobHistory(name string) (History, error)
	// Notify hears of every finished run. It must not fail the daemon: it
	// is called in the run's goroutine.
	Notify(ctx context.Context, r Result)
}

// JobFuncs is Jobs made of functions; a nil function does nothing (and a
// nil RunReplication or RunScrub fails the run).
type JobFuncs struct {
	Backup    func(ctx context.Context, workspace string) Result
	Replicate func(ctx context.Context, name string) Result
	ScrubFn   func(ctx context.Context) Result
	OffsiteFn func(ctx context.Context, name string) Result
	// LastReceivedFn is OffsiteLastReceived; nil: never.
	LastReceivedFn func(ctx context.Context, name string) (time.Time, error)
	Retain         func(ctx context.Context, workspace string) (Retention, error)
	History        func(name string) (History, error)
	NotifyFn       func(ctx context.Context, r Result)
}

var _ Jobs = JobFuncs{}

func (f JobFuncs) RunBackup(ctx context.Context, ws string) Result { return f.Backup(ctx, ws) }

func (f JobFuncs) RunReplication(ctx context.Context, name string) Result {
	if f.Replicate == nil {
		return Result{Workspace: name, RunInfo: RunInfo{Status: StatusFailed, Error: "no replication job"}}
	}
	return f.Replicate(ctx, name)
}

func (f JobFuncs) RunScrub(ctx context.Context) Result {
	if f.ScrubFn == nil {
		return Result{Workspace: app.ScrubJob, RunInfo: RunInfo{Status: StatusFailed, Error: "no scrub job"}}
	}
	return f.ScrubFn(ctx)
}

func (f JobFuncs) RunOffsitePush(ctx context.Context, name string) Result {
	if f.OffsiteFn == nil {
		return Result{Workspace: name, RunInfo: RunInfo{Status: StatusFailed, Error: "no offsite push job"}}
	}
	return f.OffsiteFn(ctx, name)
}

func (f JobFuncs) OffsiteLastReceived(ctx context.Context, name string) (time.Time, error) {
	if f.LastReceivedFn == nil {
		return time.Time{}, nil
	}
	return f.LastReceivedFn(ctx, name)
}

func (f JobFuncs) RetainJob(ctx context.Context, ws string) (Retention, error) {
	if f.Retain == nil {
		return Retention{}, nil
	}
	return f.Retain(ctx, ws)
}

func (f JobFuncs) JobHistory(name string) (History, error) {
	if f.History == nil {
		return History{}, nil
	}
	return f.History(name)
}

func (f JobFuncs) Notify(ctx context.Context, r Result) {
	if f.NotifyFn != nil {
		f.NotifyFn(ctx, r)
	}
}

// Database is what the daemon needs of the snapshot database.
type Database interface {
	// WriteTo writes a consistent copy of the whole database to w.
	WriteTo(w io.Writer) (int64, error)
	// Size returns the database file's size in bytes.
	Size() (int64, error)
}

// Options wire the daemon to the rest of the program. Jobs and DB are
// required.
type Options struct {
	// Jobs runs the backups, replications and retention, and reads the
	// history. Required.
	Jobs Jobs
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

	// Listen is the listener's address, host:port or unix:PATH, as Listen
	// opens it; its host is one of the names requests may give.
	Listen string
	// SocketMode and SocketGroup set the unix socket's mode (zero means
	// 0600) and group ("" keeps the process's).
	SocketMode  os.FileMode
	SocketGroup string
	// Token is the listener's bearer token (see internal/listenauth).
	// Empty means a random one nobody knows: every guarded endpoint then
	// answers 401.
	Token string
	// Hosts are names, besides localhost and Listen's host, that requests
	// may give in their Host header (the config's listen_hosts).
	Hosts []string
	// UI, when set, is served at / behind the guard (the token or a
	// browser session); a UI puts listenauth.CSRFToken(r) in its forms.
	UI http.Handler
}

// SettingsOf is the daemon's view of the program's config: its jobs and
// the time zone of their schedules.
func SettingsOf(svc *app.Service) Settings {
	out := Settings{Location: svc.Location()}
	for _, j := range svc.Jobs() {
		out.Workspaces = append(out.Workspaces, Workspace{Name: j.Name, Schedule: j.Schedule, Replication: j.Replication, Scrub: j.Scrub,
			Offsite: j.Offsite, AfterBackup: j.AfterBackup, StaleAfter: j.StaleAfter})
	}
	return out
}
