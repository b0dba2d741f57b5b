package daemon

import (
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// Status is the daemon's state as GET /v1/status answers it.
type Status struct {
	Workspaces []WorkspaceStatus `json:"workspaces"`
	// Scrub is the scrub job (kind "scrub"); absent when it is disabled.
	Scrub     *WorkspaceStatus `json:"scrub,omitempty"`
	Version   string           `json:"version"`
	StartedAt time.Time        `json:"started_at"`
}

// WorkspaceStatus is one workspace in Status.
type WorkspaceStatus struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"` // backup, replication or scrub
	Schedule  string     `json:"schedule"`
	NextRun   *time.Time `json:"next_run"` // null while none is scheduled
	LastRun   *RunInfo   `json:"last_run"` // null before the first run
	Running   bool       `json:"running"`
	Snapshots int        `json:"snapshots"`
	// Offsite is what the daemon knows of an offsite target's pushes
	// (kind "offsite" only).
	Offsite *OffsiteStatus `json:"offsite,omitempty"`
}

// Status returns the state of every scheduled workspace, in config order.
func (d *Daemon) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := map[string]time.Time{}
	if d.sched != nil {
		for _, js := range d.sched.Status() {
			next[js.Name] = js.NextRun
		}
	}
	out := Status{Workspaces: []WorkspaceStatus{}, Version: d.opts.Version, StartedAt: d.started.UTC()}
	for _, ws := range d.settings.Workspaces {
		st := d.states[ws.Name]
		w := WorkspaceStatus{Name: ws.Name, Kind: "backup", Schedule: ws.Schedule}
		switch {
		case ws.Replication:
			w.Kind = "replication"
		case ws.Scrub:
			w.Kind = "scrub"
		case ws.Offsite:
			w.Kind = "offsite"
			w.Offsite = d.offsite.status(ws, d.opts.Clock.Now())
		}
		if t := next[ws.Name]; !t.IsZero() {
			t = t.UTC()
			w.NextRun = &t
		}
		if st != nil {
			w.Running, w.Snapshots = st.running, st.history.Snapshots
			if r := st.history.LastRun; r != nil {
				c := *r
				c.StartedAt, c.FinishedAt = c.StartedAt.UTC(), c.FinishedAt.UTC()
				w.LastRun = &c
			}
		}
		if ws.Scrub {
			out.Scrub = &w
			continue
		}
		out.Workspaces = append(out.Workspaces, w)
	}
	return out
}

// Readiness is the answer of GET /readyz.
type Readiness struct {
	Ready      bool             `json:"ready"`
	Workspaces []WorkspaceReady `json:"workspaces"`
}

// WorkspaceReady says whether one workspace is ready, and if not why.
type WorkspaceReady struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
}

// Ready reports whether every workspace's last backup (aborted runs aside)
// is complete and finished less than twice its schedule's period ago.
func (d *Daemon) Ready() Readiness {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.opts.Clock.Now()
	loc := d.settings.Location
	if loc == nil {
		loc = time.Local
	}
	out := Readiness{Ready: true, Workspaces: []WorkspaceReady{}}
	for _, ws := range d.settings.Workspaces {
		if ws.Replication || ws.Scrub || ws.Offsite {
			continue // their health is in their status, metrics and notifications
		}
		w := WorkspaceReady{Name: ws.Name}
		var last *RunInfo
		if st := d.states[ws.Name]; st != nil {
			last = st.history.LastBackup
		}
		p := schedulePeriod(ws.Schedule, loc, now)
		switch {
		case last == nil:
			w.Reason = "no backup yet"
		case last.Status != StatusComplete:
			w.Reason = "the last backup is " + string(last.Status)
		case p > 0 && now.Sub(last.FinishedAt) >= 2*p:
			w.Reason = fmt.Sprintf("the last complete backup is %s old, more than twice the schedule's period (%s)",
				now.Sub(last.FinishedAt).Round(time.Second), p)
		default:
			w.Ready = true
		}
		out.Ready = out.Ready && w.Ready
		out.Workspaces = append(out.Workspaces, w)
	}
	return out
}

// schedulePeriod is the time between the next two activations of spec
// after now, as the scheduler computes it; 0 when it cannot tell.
func schedulePeriod(spec string, loc *time.Location, now time.Time) time.Duration {
	p, err := scheduler.Period(spec, loc, now)
	if err != nil {
		return 0
	}
	return p
}
