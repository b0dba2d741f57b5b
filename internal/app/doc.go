// Package app is the program: one Service with a method per use case of
// enspace-sync, each taking a typed request and returning typed results.
// It prints nothing and parses no flags; cmd/enspace-sync renders what it
// returns, the daemon schedules its jobs, and the demo checks its values.
//
// # Use cases
//
//   - Backup: walk a workspace into a snapshot, commit it, compare it with
//     the previous complete snapshot, flag drops (anomalies) and protect
//     the snapshot before a drop (backup.go, anomalies.go).
//   - Compare and History: the changes between two snapshots, and one
//     object's history across them (compare.go, history.go).
//   - PlanRestore, PlanReplication, LoadPlan and Apply: plans of writes
//     into a workspace and the engine that applies them (restore.go,
//     replicate.go, apply.go). Planning reads the snapshot and the target
//     in proportion to the selection (plan_source.go; the reasoning is in
//     the restore package's documentation).
//   - Objects: the stored objects a selector picks (objects.go), and
//     ResolveSnapshot, SnapshotAt, DiffEnds (snapshots.go).
//   - Export: a snapshot or the live workspace into an export (export.go).
//   - Retain: retention and prune (retain.go); CopyDatabase (dbcopy.go);
//     Prune, Verify and Compact (maintenance.go); Doctor (doctor.go).
//   - The daemon's jobs: RunBackup, RunReplication, RetainJob, JobHistory,
//     Notify, CheckDatabase (jobs.go, jobs_replicate.go), the config's Jobs
//     and Reload (reload.go). Their statuses (status.go) are the one
//     vocabulary of run records, the daemon, notifications and --json.
//
// OpenStore opens the database for a command, reading a copy a running
// daemon serves when it holds the file (open.go).
//
// Kinds come from internal/kind, JSON equality from internal/jsonv: the
// use cases restate neither.
//
// # Errors
//
// An error the caller can fix by changing its request or the config is an
// *InputError (the command line exits 2 with its hint). snapshot.ErrLocked,
// restore.ErrApplyFailed, ErrTargetChanged and ErrNothingSelected pass
// through wrapped; the command line classifies them. A failure an admin
// can act on (a server that cannot be reached, a base URL that is not the
// API, a refused workspace or key, a database the daemon holds) is a
// *FailureError: the cause in words, and a hint (the command or the check
// to run next). It wraps the original error, so its exit code stays the
// original's (1, or 4 for the lock).
//
// # Caveats
//
// A Service holds the API clients of its config: one per environment, so
// the rate and concurrency limits of an environment hold across every
// workspace of a run. SetConfig replaces them (a reload); a run in
// progress keeps the clients it started with.
package app
