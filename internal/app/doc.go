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
//   - Offsite: push, snapshots, verify, forget, prune, keys, unlock
//     (offsite.go, offsite_job.go), and RestoreDB, which rebuilds a
//     database from a target (offsite_restore.go).
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
// # restore-db's memory
//
// RestoreDB keeps no snapshot's entries from one import to the next: a
// delta gives the changes, a full tree is compared with the previous
// snapshot as the new database holds it, and every object filed is passed
// with its bytes (no set of the objects already stored). The objects wait
// in the restorer's file on disk, their ids with them (internal/offsite:
// Restorer). What grows with the target is its index (about 85 MB for a
// million objects) and the restored snapshots' tree chunks (about 40 MB
// for a million-object tree). Peak anonymous memory of restore-db
// (BenchmarkRestoreDB: 11 snapshots at 1% churn, above what the process
// held before, sampled every 10 ms), main at 89c3e3b against this build:
// 172 and 167 MiB at 100,000 items, where the key's derivation (argon2id,
// 64 MiB) and the garbage collector's headroom dominate; 1,027 and 449
// MiB at 1,000,000 items (the previous snapshot's entries as maps, a set
// of stored ids and a table of every prepared object are gone).
//
// # Caveats
//
// A Service holds the API clients of its config: one per environment, so
// the rate and concurrency limits of an environment hold across every
// workspace of a run. The concurrency cap and the request rate are per
// environment: two environments on one base URL (a read key for backups,
// a write key for restores) each have their own, and their sum is what the
// server may see. The pause of a server's Retry-After is per server (host
// and port of the base URL): a 429 or 503 with Retry-After to any
// environment holds every environment on that server until it runs out.
//
// A reload (SetConfig) keeps the client of every environment whose
// settings did not change, so a run in progress and one started after the
// reload share its limiter; an environment whose settings changed gets a
// new client, still paused by its server's Retry-After, while a run in
// progress finishes on the old one (clients.go).
package app
