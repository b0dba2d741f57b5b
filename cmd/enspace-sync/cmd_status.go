package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/daemon"
)

func init() {
	register(&command{
		name:    "status",
		summary: "show what the running daemon is doing",
		usage:   "enspace-sync status [--config FILE] [--json]",
		help: `Asks the running daemon (enspace-sync run) at the config's listen address
for each workspace's schedule, next run, last run and its status, whether
a run is in progress, and the snapshot count. When nothing answers there,
it says so and exits 1.

With --json, the daemon's answer as is: {"workspaces": [{"name", "kind"
(backup, replication or offsite), "schedule", "next_run", "last_run":
{"started_at", "finished_at", "status", "snapshot", "error", "config_error"
(true when the run failed on a key, password or credential file; absent
otherwise)}, "running",
"snapshots", "offsite": {"last_push", "last_received", "pending",
"stale_after_seconds", "stale"} (offsite targets' push jobs only)}],
"scrub" (the scrub job, with the same keys; absent when disabled),
"version", "started_at"}.

Examples:
  enspace-sync status
  enspace-sync status --json |
      jq '.workspaces[] | select(.last_run.status != "complete")'`,
		local: true,
		run:   configured("status", 0, statusCommand),
	})
	register(&command{
		name:    "trigger",
		summary: "ask the daemon to run a backup, replication, push or scrub",
		usage:   "enspace-sync trigger [--config FILE] [--wait] [--json] NAME",
		help: `Asks the running daemon (enspace-sync run) to start a backup of the
workspace NAME now, with retention after it as usual. NAME may also be a
replication, or "scrub": the daemon then reads every stored object back
and records what is damaged (see the config's scrub: section); with
--wait, a scrub that found damage exits 1 and names it. NAME
"offsite:TARGET" pushes to that offsite target (see docs/offsite.md).
Without --wait it returns once the run has started. With --wait it waits
for the run and prints its outcome; the exit status is then 0 for a
complete snapshot, 3 for a partial one, 2 for a run that failed on the
config (a key, password or credential file the daemon cannot read, as
backup, replicate and offsite push exit) and 1 for another failed or
aborted run. A run of NAME that is already in progress is an error
(exit 1): runs never overlap. When nothing answers at the config's
listen address, it says so and exits 1.

With --json: {"started", "error", "run": {"started_at", "finished_at",
"status", "snapshot", "error", "config_error" (when true)}}.

Examples:
  enspace-sync trigger acme
  enspace-sync trigger --wait acme
  enspace-sync trigger --wait scrub
  enspace-sync trigger --wait offsite:nas`,
		local: true,
		run:   configured("trigger", 1, triggerCommand),
	})
}

// daemonOf returns the client for the daemon of the invocation's config.
func daemonOf(inv *invocation) (*daemon.Client, error) {
	dc := daemonClient(inv.cfg)
	if dc == nil {
		return nil, fmt.Errorf("%w: the config's listen is off, so the daemon cannot be reached", daemon.ErrNotRunning)
	}
	return dc, nil
}

// statusOptions are status's flags and arguments.
type statusOptions struct{ invocation }

// statusCommand prints the running daemon's schedules and last runs.
func statusCommand(ctx context.Context, m *Main, o *statusOptions) error {
	dc, err := daemonOf(&o.invocation)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := dc.Status(ctx)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		return printJSON(m, st)
	}
	loc, err := o.cfg.Location()
	if err != nil {
		loc = time.Local
	}
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04:05") }
	fmt.Fprintf(m.Stdout, "daemon %s at %s, up since %s\n", st.Version, dc.Addr(), at(st.StartedAt))
	jobs := st.Workspaces
	if st.Scrub != nil {
		jobs = append(jobs, *st.Scrub)
	}
	for _, w := range jobs {
		next := "-"
		if w.NextRun != nil {
			next = at(*w.NextRun)
		}
		title := w.Name
		if w.Kind == "replication" || w.Kind == "scrub" {
			title += " (" + w.Kind + ")"
		}
		fmt.Fprintf(m.Stdout, "\n%s\n  schedule   %s (next %s)\n", title, w.Schedule, next)
		switch r := w.LastRun; {
		case r == nil:
			fmt.Fprintf(m.Stdout, "  last run   none\n")
		default:
			fmt.Fprintf(m.Stdout, "  last run   %s, %s, took %s%s\n", r.Status, at(r.StartedAt), r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond), runOutcome(r))
		}
		if w.Running {
			fmt.Fprintf(m.Stdout, "  running    yes\n")
		}
		if w.Kind == "backup" {
			fmt.Fprintf(m.Stdout, "  snapshots  %d\n", w.Snapshots)
		}
		if o := w.Offsite; o != nil {
			printOffsiteStatus(m, o, at)
		}
	}
	return nil
}

// printOffsiteStatus prints an offsite target's push state under its job.
func printOffsiteStatus(m *Main, o *daemon.OffsiteStatus, at func(time.Time) string) {
	last := "none since the daemon started"
	if o.LastPush != nil {
		last = at(*o.LastPush)
	}
	fmt.Fprintf(m.Stdout, "  last push  %s; %d snapshots pending\n", last, o.Pending)
	stale := ""
	switch {
	case o.Stale:
		stale = fmt.Sprintf(" (STALE: longer than stale_after %s)", time.Duration(o.StaleAfterSeconds*float64(time.Second)))
	case o.StaleAfterSeconds > 0:
		stale = fmt.Sprintf(" (stale after %s)", time.Duration(o.StaleAfterSeconds*float64(time.Second)))
	}
	fmt.Fprintf(m.Stdout, "  received   %s%s\n", at(o.LastReceived), stale)
}

// triggerOptions are trigger's flags and arguments.
type triggerOptions struct {
	invocation
	wait bool
}

func (o *triggerOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.wait, "wait", false, "wait for the run and print its outcome")
}

// triggerCommand asks the running daemon to back up the workspace o names now.
func triggerCommand(ctx context.Context, m *Main, o *triggerOptions) error {
	if len(o.args) != 1 {
		return usagef("trigger", "trigger needs the name of a workspace")
	}
	name := o.args[0]
	dc, err := daemonOf(&o.invocation)
	if err != nil {
		return err
	}
	if !o.wait {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	ans, err := dc.Trigger(ctx, name, o.wait)
	if o.g.asJSON && (ans.Started || ans.Error != "") {
		if err := printJSON(m, ans); err != nil {
			return err
		}
	}
	switch {
	case errors.Is(err, daemon.ErrUnknownWorkspace):
		return &app.InputError{Msg: ans.Error, Hint: "enspace-sync status", Absent: true}
	case errors.Is(err, daemon.ErrBusy):
		return fmt.Errorf("%s: a run is already in progress (see enspace-sync status)", name)
	case err != nil:
		return err
	case ans.Run == nil && o.wait:
		return fmt.Errorf("the run of %s started but its outcome is unknown: %s", name, ans.Error)
	case ans.Run == nil:
		if !o.g.asJSON {
			if name == app.ScrubJob {
				fmt.Fprintln(m.Stdout, "started a scrub (see enspace-sync status)")
			} else if target, ok := app.IsOffsiteJob(name); ok {
				fmt.Fprintf(m.Stdout, "started a push to %s (see enspace-sync status)\n", target)
			} else {
				fmt.Fprintf(m.Stdout, "started a backup of %s (see enspace-sync status)\n", name)
			}
		}
		return nil
	}
	r := ans.Run
	if !o.g.asJSON {
		what := "backup"
		if name == app.ScrubJob {
			what = "scrub"
		}
		if _, ok := app.IsOffsiteJob(name); ok {
			what = "offsite push"
		}
		fmt.Fprintf(m.Stdout, "%s: %s %s in %s%s\n", name, what, r.Status, r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond), runOutcome(r))
	}
	switch r.Status {
	case daemon.StatusComplete:
		return nil
	case daemon.StatusPartial:
		return withExit(ExitPartial, nil)
	}
	if r.ConfigError {
		return withExit(ExitUsage, nil)
	}
	return withExit(ExitError, nil)
}

// runOutcome is what a run left: ", snapshot ID" and ": error", each when there is one.
func runOutcome(r *app.RunInfo) string {
	out := ""
	if r.Snapshot != "" {
		out += ", snapshot " + r.Snapshot
	}
	if r.Error != "" {
		out += ": " + r.Error
	}
	return out
}
