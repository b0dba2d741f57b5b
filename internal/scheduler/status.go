package scheduler

import "time"

// JobStatus is a point-in-time view of one job, for a status page.
type JobStatus struct {
	// Name is the job's name.
	Name string `json:"name"`
	// Spec is the job's schedule as configured.
	Spec string `json:"spec"`
	// Running is true while the job's function executes.
	Running bool `json:"running"`
	// Waiting is true while a started run waits for a concurrency slot.
	Waiting bool `json:"waiting"`
	// LastStart is when the last run began executing (zero: never).
	LastStart time.Time `json:"last_start"`
	// LastEnd is when the last run returned (zero: never).
	LastEnd time.Time `json:"last_end"`
	// LastError is the last run's error text, empty if it succeeded.
	LastError string `json:"last_error,omitempty"`
	// LastSuccess is when the last successful run ended, including the
	// value given in Job.LastSuccess (zero: never).
	LastSuccess time.Time `json:"last_success"`
	// NextRun is the next scheduled activation, before jitter.
	NextRun time.Time `json:"next_run"`
	// Runs counts runs that began executing since New.
	Runs int64 `json:"runs"`
	// Skips counts starts skipped because the job was still in flight or
	// the scheduler stopped while the run waited for a slot.
	Skips int64 `json:"skips"`
}

// Status returns the status of every job, in the order given to New.
// It is safe for concurrent use.
func (s *Scheduler) Status() []JobStatus {
	out := make([]JobStatus, 0, len(s.jobs))
	for _, j := range s.jobs {
		j.mu.Lock()
		out = append(out, j.status)
		j.mu.Unlock()
	}
	return out
}
