// Package daemon is the long-running service behind `enspace-sync run`: it
// schedules one backup job per workspace (internal/scheduler), applies
// retention after each backup, keeps what the status page, the readiness
// check and the metrics report, reloads its schedules, serves the local
// HTTP listener and talks to systemd (sd_notify).
//
// It knows neither the Enspace API nor bbolt: it runs the program's jobs
// (internal/app's Service, through the Jobs interface: RunBackup,
// RunReplication, RunScrub, RetainJob, JobHistory, Notify) and serves the hot copy of
// the database through the Database interface. Its run records and
// statuses are app's (Result is app.JobResult). Client is the listener's
// client, for the command line's status, trigger and read commands.
//
// Runs. A run is started by the scheduler (its schedule, the catch-up at
// start, or Trigger) and executes Jobs.RunBackup with the daemon's own run
// context, not the scheduler's: a reload replaces the scheduler while a
// backup continues. No overlap is the scheduler's rule alone: every
// scheduler the daemon builds shares one scheduler.Guard, so no two runs of
// one workspace overlap even across a reload; a start (scheduled, catch-up
// or Trigger, which then answers ErrBusy and 409) that finds one in flight
// is skipped, logged and counted by the scheduler. Schedules are parsed and
// their periods computed by the scheduler too. Retention
// (Jobs.RetainJob) follows every run that stored a snapshot; then the
// history is read again (Jobs.JobHistory) for the snapshot count, and
// Jobs.Notify hears of the result.
//
// Scrub. The scrub is a job like the others (Workspace.Scrub, named
// "scrub", which the config reserves): scheduled, triggered, never
// overlapping itself, with no retention. It is kept out of the workspaces
// of Status (Status.Scrub) and of /readyz, and out of the per-workspace
// metrics: it has enspace_sync_scrub_* of its own. A database never
// scrubbed is not scrubbed at start (its history has no last success, and
// reading the whole database as the daemon starts would compete with the
// catch-up backups); one whose last scrub is older than the period is.
//
// Offsite. Each offsite target is a job too (app.OffsiteJob, "offsite:NAME",
// Workspace.Offsite): pushed after every backup that stored a snapshot
// (scheduler.TriggerAfter: once more right after a push in flight, which
// may have listed the snapshots before the backup committed) and on its
// schedule, with no retention, outside /readyz. offsiteWatch keeps
// its enspace_sync_offsite_* metrics and Status.Offsite from the push
// reports, and notices a target that received no snapshot for longer than
// its StaleAfter: the push that finds it carries the notice as an anomaly
// (so Jobs.Notify alerts), once until a snapshot arrives. After a restart
// the target's records (Jobs.OffsiteLastReceived) say when it last
// received one.
//
// Stop. Stop tells systemd STOPPING=1, stops the scheduler (no new runs),
// cancels the run context (a backup in progress aborts, and the store
// records the run as ended by cancellation) and waits for the runs to return, bounded by
// its context; then it shuts the listener down. The caller closes the
// database after Stop.
//
// Listener. GET /healthz (the process answers), GET /readyz (200 only when
// every workspace's last backup, aborted runs aside, is complete and younger
// than twice its schedule's period), GET /metrics (Prometheus), GET
// /v1/status, POST /v1/trigger/{name}[?wait=1], GET /v1/db (a consistent
// copy of the whole database from one read transaction), POST
// /v1/login-url and GET /login (a browser's one-time login), and
// Options.UI at /. internal/listenauth guards them: /healthz, /readyz and
// /login are open, /metrics is open on a loopback address, /v1/login-url
// wants the bearer token, and the rest the token or a browser session
// (with its CSRF token for a POST). Every request must name the listener
// in its Host (421 otherwise: DNS rebinding), and cross-origin browser
// POSTs are refused. Listen opens a TCP address or a unix socket (with its
// mode and group); the token comes from ListenerToken. Client sends the
// token of the token file it is given; a 401 is ErrUnauthorized, saying
// whether the file could not be read or holds another token.
//
// Caveats: the readiness period is measured between the next two
// activations of a schedule, so uneven cron specs use the gap that follows
// now. API request counts come from the caller's per-run deltas; runs of
// workspaces sharing an environment are not concurrent (MaxConcurrent is 1)
// so the deltas are exact.
package daemon
