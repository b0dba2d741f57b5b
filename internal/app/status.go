package app

import (
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Status is how a run of a job ended: the store's vocabulary of run
// outcomes (snapshot.Outcome), the same in the daemon's status, metrics
// and notifications, and the --json output.
type Status = snapshot.Outcome

// The run statuses.
const (
	StatusComplete = snapshot.OutcomeComplete // a complete snapshot was stored (a replication: applied whole)
	StatusPartial  = snapshot.OutcomePartial  // a partial snapshot was stored: some kinds were not read
	StatusFailed   = snapshot.OutcomeFailed   // nothing was stored: the run failed
	StatusAborted  = snapshot.OutcomeAborted  // nothing was stored: the run was stopped (a signal, the daemon stopping, the process killed)
	// StatusHeld is a replication whose plan would change more than its
	// limit: nothing was applied, and a person must look.
	StatusHeld = snapshot.OutcomeHeld
)

// RunStatus maps a run record of the store to a status: a run that ended
// without a snapshot is aborted when it was cancelled or killed, failed
// otherwise.
func RunStatus(r snapshot.Run) Status {
	switch r.Outcome {
	case snapshot.OutcomeComplete, snapshot.OutcomePartial:
		return r.Outcome
	}
	switch r.Ended() {
	case snapshot.EndCancelled, snapshot.EndKilled:
		return StatusAborted
	}
	return StatusFailed
}

// RunInfo is one finished run as the status API shows it.
type RunInfo struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Status     Status    `json:"status"`
	Snapshot   string    `json:"snapshot"` // short id; "" when no snapshot was stored
	Error      string    `json:"error"`
	// ConfigError is set when the run failed on the config, a key,
	// password or credential file it could not read (a SecretError):
	// nothing was tried, and trigger --wait exits 2 for it, as backup and
	// offsite push do.
	ConfigError bool `json:"config_error,omitempty"`
}

// APIStats are the API requests one run made.
type APIStats struct {
	ByStatus map[int]int // attempts by HTTP status; 0 for those without a complete answer
	Retries  int         // attempts that repeated a failed one
	// Pauses counts the times a Retry-After paused the environment's
	// client during the run, and PausedFor how long in all.
	Pauses    int
	PausedFor time.Duration
}

// JobResult is the outcome of one run of a job (a backup or a replication).
type JobResult struct {
	RunInfo
	Workspace string         // the workspace's or the replication's name
	Counts    map[string]int // objects stored, by kind
	API       APIStats
	Anomalies []string    // drops flagged in the snapshot
	Summary   string      // one line for a person (counts, changes, kinds not read)
	Hint      string      // the command that shows or restores what went wrong
	Scrub     *ScrubStats // what a scrub read and found; nil for other jobs
	// Offsite is what an offsite push job pushed (its last attempt); nil
	// for other jobs and before a push could start.
	Offsite *OffsitePush
}

// Retention is what a job's retention removed after a run.
type Retention struct {
	Removed     int   // snapshots forgotten
	PrunedBytes int64 // bytes of stored objects freed
}

// JobHistory is what the database knows of a job.
type JobHistory struct {
	LastRun    *RunInfo       // the last finished run (nil: none)
	LastBackup *RunInfo       // the last finished run that was not aborted (nil: none)
	LastOK     time.Time      // when the last complete run finished (zero: never)
	Snapshots  int            // snapshots stored
	Counts     map[string]int // objects per kind of the newest snapshot
}
