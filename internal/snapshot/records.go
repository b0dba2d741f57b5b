package snapshot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// timeLayout is how records write times: UTC, RFC 3339 with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q: %v", ErrCorrupt, s, err)
	}
	return t.UTC(), nil
}

// Status is a committed snapshot's status.
type Status string

// Snapshot statuses.
const (
	StatusComplete Status = "complete" // every kind was read
	StatusPartial  Status = "partial"  // some kinds failed: see Snapshot.Errors
)

// Outcome is how a run ended, in the runs log and the job runs log: the
// program's one vocabulary of run statuses (internal/app's Status is this
// type), from these records to the daemon, notifications and --json.
type Outcome string

// Run outcomes.
const (
	OutcomeRunning  Outcome = "running"  // begun, not yet committed or aborted
	OutcomeComplete Outcome = "complete" // committed as a complete snapshot; a job that did all it had to
	OutcomePartial  Outcome = "partial"  // committed as a partial snapshot
	OutcomeAborted  Outcome = "aborted"  // stopped (Abort, or the process died): no snapshot
	OutcomeFailed   Outcome = "failed"   // Commit failed, or the job failed: no snapshot
	// OutcomeHeld is a job (a replication) that stopped before writing
	// because its plan changed more than its limit: a person must look.
	OutcomeHeld Outcome = "held"
)

// Changes is a snapshot's summary of what changed since the previous
// complete snapshot of its workspace. Its JSON form is part of the stored
// record and of the --json output of backup and snapshots.
type Changes struct {
	Since   string                  `json:"since"`   // the previous complete snapshot's id
	Summary map[string]ChangeCounts `json:"summary"` // per kind with changes
	Noise   map[string]NoiseCounts  `json:"noise"`   // per kind with noise
	Unknown map[string]string       `json:"unknown"` // kinds either snapshot could not read, and why
}

// ChangeCounts counts one kind's changes.
type ChangeCounts struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
	Unknown int `json:"unknown"`
}

// NoiseCounts counts one kind's objects that differ in storage but not in
// a way worth a change line.
type NoiseCounts struct {
	ServerOnly int `json:"server_only"`
	Equivalent int `json:"equivalent"`
	Volatile   int `json:"volatile"`
}

// Ending says why a run ended without a snapshot.
type Ending string

// Run endings. A run record written before endings were recorded has none:
// Run.Ended derives it from the error text.
const (
	EndCancelled Ending = "cancelled" // its context was cancelled: a signal, the daemon stopping
	EndFailed    Ending = "failed"    // an error stopped it: the API refused, the disk was full
	EndKilled    Ending = "killed"    // the process died; the next read-write Open recorded it
)

// Collection is a snapshot's reference to one collection's tree.
type Collection struct {
	Root  Hash `json:"root"`
	Count int  `json:"count"`
}

// Snapshot is a committed snapshot's record.
type Snapshot struct {
	ID          string                `json:"id"` // 16 hex characters
	Workspace   string                `json:"workspace"`
	StartedAt   time.Time             `json:"started_at"`
	FinishedAt  time.Time             `json:"finished_at"`
	Status      Status                `json:"status"`
	Errors      map[string]string     `json:"errors,omitempty"` // failed kind -> error text
	Counts      map[string]int        `json:"counts"`           // kind -> objects stored
	Collections map[string]Collection `json:"collections"`
	Requests    int64                 `json:"requests"`    // API requests the run made
	AddedBytes  int64                 `json:"added_bytes"` // bytes of the records it added: blobs, chunks, roots, index entries, its own record
	Objects     int                   `json:"objects"`     // total objects
	Config      map[string]any        `json:"config,omitempty"`
	Drift       []string              `json:"drift,omitempty"`
	APICounts   map[string]int        `json:"api_counts,omitempty"` // counts the API reported, for cross-checks
	// Changes is what changed since the previous complete snapshot, as
	// the caller summarised it (Annotate); nil for a workspace's first
	// snapshot, or when the summary was not recorded.
	Changes *Changes `json:"changes,omitempty"`
	// Anomalies are drops the caller flagged (a type gone, a kind shrunk):
	// retention keeps the snapshot before one.
	Anomalies []string `json:"anomalies,omitempty"`
	// Protected says why retention must keep this snapshot whatever its
	// rules say (it is the last one before a drop); "" when it need not.
	Protected string `json:"protected,omitempty"`
	// Healed lists the objects whose stored copy was recorded damaged (by
	// a scrub or verify --repair) and that this run stored afresh, under
	// the same address: every snapshot that referred to the damaged copy
	// is whole again.
	Healed []Healed `json:"healed,omitempty"`
}

// Healed is one object a run stored afresh over a damaged copy.
type Healed struct {
	Collection string `json:"collection"` // "items/contracts"
	Key        string `json:"key"`
	Hash       Hash   `json:"hash"` // the content's address, the same before and after
}

// ShortID returns the first 8 characters of the id.
func (s *Snapshot) ShortID() string { return shortID(s.ID) }

// collectionNames returns the snapshot's collection names, sorted.
func (s *Snapshot) collectionNames() []string {
	names := make([]string, 0, len(s.Collections))
	for n := range s.Collections {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MarshalJSON writes times as UTC RFC 3339 with milliseconds.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	return json.Marshal(struct {
		*plain
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at"`
	}{(*plain)(&s), formatTime(s.StartedAt), formatTime(s.FinishedAt)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	type plain Snapshot
	v := struct {
		*plain
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var err error
	if s.StartedAt, err = parseTime(v.StartedAt); err != nil {
		return err
	}
	s.FinishedAt, err = parseTime(v.FinishedAt)
	return err
}

// Run is one line of the runs log.
type Run struct {
	ID         string    `json:"id"` // also the snapshot's id when committed
	Workspace  string    `json:"workspace"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Outcome    Outcome   `json:"outcome"`
	Ending     Ending    `json:"ending,omitempty"` // why a run without a snapshot ended
	Error      string    `json:"error,omitempty"`
	Objects    int       `json:"objects"`
}

// MarshalJSON writes times as UTC RFC 3339 with milliseconds.
func (r Run) MarshalJSON() ([]byte, error) {
	type plain Run
	return json.Marshal(struct {
		*plain
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at,omitempty"`
	}{(*plain)(&r), formatTime(r.StartedAt), formatTime(r.FinishedAt)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Run) UnmarshalJSON(b []byte) error {
	type plain Run
	v := struct {
		*plain
		StartedAt  string `json:"started_at"`
		FinishedAt string `json:"finished_at"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var err error
	if r.StartedAt, err = parseTime(v.StartedAt); err != nil {
		return err
	}
	r.FinishedAt, err = parseTime(v.FinishedAt)
	return err
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// newID returns 16 random hex characters.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// sortSnapshots orders oldest first (by start, then id).
func sortSnapshots(s []*Snapshot) {
	sort.Slice(s, func(i, j int) bool {
		if !s[i].StartedAt.Equal(s[j].StartedAt) {
			return s[i].StartedAt.Before(s[j].StartedAt)
		}
		return s[i].ID < s[j].ID
	})
}

// Ended says why a run that stored no snapshot ended: its recorded ending,
// or for a record of an older version, the ending its error text implies.
// It is "" for a run that stored a snapshot or is still running.
func (r Run) Ended() Ending {
	switch {
	case r.Outcome != OutcomeAborted && r.Outcome != OutcomeFailed:
		return ""
	case r.Ending != "":
		return r.Ending
	case r.Outcome == OutcomeFailed:
		return EndFailed
	case r.Error == interrupted:
		return EndKilled
	case strings.Contains(r.Error, context.Canceled.Error()) || strings.HasPrefix(r.Error, "interrupted"):
		return EndCancelled
	}
	return EndFailed
}
