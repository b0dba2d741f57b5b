// Package daemon is the long-running service behind `enspace-sync run`: it
// schedules one backup job per workspace (internal/scheduler), applies
// retention after each backup, keeps what the status page, the readiness
// check and the metrics report, reloads its schedules, serves the local
// HTTP listener and talks to systemd (sd_notify).
//
// It knows neither the Enspace API nor bbolt: the backup itself, retention,
// the history read at start and the hot copy of the database come in as
// functions and small interfaces (Options), wired by cmd/enspace-sync.
//
// Runs. A run is started by the scheduler (its schedule, the catch-up at
// start, or Trigger) and executes Options.Backup with the daemon's own run
// context, not the scheduler's: a reload replaces the scheduler while a
// backup continues. No overlap is the scheduler's rule alone: every
// scheduler the daemon builds shares one scheduler.Guard, so no two runs of
// one workspace overlap even across a reload; a start (scheduled, catch-up
// or Trigger, which then answers ErrBusy and 409) that finds one in flight
// is skipped, logged and counted by the scheduler. Schedules are parsed and
// their periods computed by the scheduler too. Retention
// (Options.Retain) follows every run that stored a snapshot; then the
// history is read again (Options.History) for the snapshot count, and
// Options.Notify hears of the result.
//
// Stop. Stop tells systemd STOPPING=1, stops the scheduler (no new runs),
// cancels the run context (a backup in progress aborts, and the caller's
// Backup records it as aborted) and waits for the runs to return, bounded by
// its context; then it shuts the listener down. The caller closes the
// database after Stop.
//
// Listener. GET /healthz (the process answers), GET /readyz (200 only when
// every workspace's last backup, aborted runs aside, is complete and younger
// than twice its schedule's period), GET /metrics (Prometheus), GET
// /v1/status, POST /v1/trigger/{name}[?wait=1] and GET /v1/db (a consistent
// copy of the whole database from one read transaction). It has no
// authentication: it is meant for a loopback address. Requests whose Host
// is not an IP address or "localhost" are refused (a defence against DNS
// rebinding), and cross-origin browser POSTs are refused.
//
// Caveats: the readiness period is measured between the next two
// activations of a schedule, so uneven cron specs use the gap that follows
// now. API request counts come from the caller's per-run deltas; runs of
// workspaces sharing an environment are not concurrent (MaxConcurrent is 1)
// so the deltas are exact.
package daemon
