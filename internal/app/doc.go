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
//     the restore package's documentation): the snapshot's collections
//     a chunk at a time (WalkObjects), and the target into a Set beside
//     the source's, which shares the bytes of unchanged objects.
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
// original's (1, or 4 for the lock). BackupWorkspaces backs up several
// workspaces in order, past the ones that fail, and sums up a run that
// was not all complete in a *BackupsError (the failed ones, partial
// snapshots; Partial and AllConfig as TargetsError's, from which the
// command line takes its exit status). A backup of several workspaces that
// SIGINT or SIGTERM stops is summed up by InterruptedBackup: nothing of
// the workspace it was backing up was stored, and its Summary names what
// the run did store (snapshot ids, "partial" after a partial one), what
// failed and what was not started, so that "nothing was stored" is never
// read as true of the whole run (JSON: stored, failed, not_started).
//
// # Secrets a use case needs
//
// The commands and the daemon load the config with
// config.Options.SecretsOnUse: a key or secret file that cannot be read,
// or a ${VAR} left unset in such a field, does not stop the program; it fails only the use cases that need it,
// each with a *SecretError (an ErrConfig) that names the file, what is
// wrong with it and the fix, never a secret. A workspace needs its
// environment's key (Client, so Backup, RunBackup, export --live, and
// planning or applying into or from it); a plan or an apply also needs
// the integration secrets of its target's environment (secretsOf); an
// offsite target's commands need its password and credential files
// (openTarget). So a backup of a healthy workspace goes on beside a broken
// environment or target, and a push to the other targets too. The
// daemon's push job of a broken target fails at once (no retries: only a
// fix and a reload help) and is reported as any failed push: its status,
// offsite_pushes_total, the webhook; its backups go on. Decision: each
// broken file is warned about once per command (config.Config.Warnings,
// printed as the command starts; -q hides them), then fails what uses it;
// one rule for commands over several units (AllSecret): when every unit
// failed on such a file, nothing was tried and the config is what is
// wrong, so `offsite push` (every target) and `backup` (every workspace)
// exit 2, as for an invalid config; 3 when others succeeded; 1 when every
// unit failed and some for another reason. A daemon run that failed on
// such a file says so in its RunResult (ConfigError, "config_error" in
// /v1/status), and `trigger --wait` exits 2 for it.
// config check and doctor load without SecretsOnUse: every problem of
// every secret fails them (exit 2), listed.
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
// # restore-db's time
//
// Where a million-item restore-db goes (BenchmarkRestoreDB
// -restore-db-items 1000000: 11 snapshots at 1% churn, a 34 MB target;
// phases timed at the calls of RestoreDB, CPU from -cpuprofile with
// -tagfocus phase=restore-db): the key's derivation, 0.2-0.3 s on both
// cores, while the records and index files download (OpenPrefetching);
// the index, decoded on one core in 0.5-0.7 s (it needs the key, and the
// trees need it); then the first snapshot, 85% of the time: the trees
// read, the packs prepared (decrypted, decompressed, each object's
// canonical JSON hashed against its id), the objects filed, all at once
// and bound by the CPU of both cores (the scheduler-latency profile of a
// trace shows the preparing and filing goroutines waiting to run, not
// for each other); then the 10 snapshots built on it. Of its 11-12
// CPU-seconds, 3.1 prepare the packs (1.9 of them hashing the objects,
// 1.5 of that their canonical JSON), 1.7 read the trees and resolve the
// index entries given by chunk, 1.7-2.0 are the database's batch writer,
// 1.4 walk the first snapshot's trees to file its objects (half of it
// the index's look-ups), 1.1 the commits, 0.5 the index, 0.26 argon2id,
// the rest the runtime's. A commit of a snapshot built on the one before
// found its patch by reading the whole base tree twice (0.2-0.3 s each
// at a million objects, serial); it now reads it once, only the chunks
// that hold a change (snapshot's patchOver): the 10 commits after the
// first took 2.2 s (load 2.7) and 3.4 s (load 5.7), now 1.2-1.5 s at
// load 7 to 8. Runs of main at ff355e7 (before) and this build (after)
// on the shared 2-core machine (load average in brackets):
//
//	1,000,000 items    restore-db   CPU       plain copy   anon
//	before (2.7)       10.3 s       12.0 s    0.10 s       593 MiB
//	before (5.7)       12.4 s       14.9 s    0.19 s       551 MiB
//	after (8)          14.5 s       11.5 s    0.73 s       594 MiB
//	after (7)          14.8 s       11.2 s    0.08 s       550 MiB
//	back to back, load 9 to 11:
//	before             34.0 s       14.5 s    0.44 s       549 MiB
//	after              20.4 s       17.3 s    0.63 s       587 MiB
//
// (At that load the CPU time moves by a quarter from run to run, as the
// wall time by half.) That is 1.0-3.3 MB of target a second against
// 50-400 MB/s for the copy; at 100,000 items (3.4 MB, CPU 1.4-1.7 s
// before and after: its patches are small) restore-db took 1.1-1.3 s at
// low load, about 3 MB/s, the copy 0.02-0.05 s. restore-db is 20 to 180
// times a plain read of the same bytes (the copy's time moves the most),
// bound by CPU, not by the target: nearly all of it
// is the checks and decoding that internal/offsite does and the
// database's writer, which a plain copy does not do. Tried and dropped:
// GOGC=400 (no less CPU at 100,000 items, 90 MiB more memory); batches of
// 100,000 objects or 64 MiB instead of 20,000 or 16 MiB (CPU 14.9 and
// 12.6 s in one pair at load 10 to 13, 250 MiB more memory: not
// conclusive against the noise); a patch from the chunks that the run's
// changes touch alone, trusting the base's own patch and count (no gain
// here: the benchmark's churn changes every 100th key, so every chunk of
// about 64 entries holds a change).
//
// Then (branch rdb3) the look-ups and the check of each object. The
// objects are pushed as the API returned them, keys in its order (so
// are the benchmark's), not in the canonical form their ids hash: the
// bytes of every one hash to another id than its own, and ContentHash's
// canonical JSON (1.2-1.3 CPU-s at a million objects, most of hashing
// them) stays. (Taking the SHA-256 of an object's bytes as its id when
// it begins with the object's name was tried and dropped: whoever writes
// a tree chooses its names, so bytes not in canonical form, or not JSON
// at all, named by their own hash would have been filed under an id
// ContentHash does not give them; checking the form first is what
// ContentHash does already.) What it did gain: nearly every object of a
// format-4 target is given by chunk, and each look-up of one (its
// resolution, the walk that names it, its filing) missed first in the
// index's map, made for all 1.2 million entries to hold 135,000; that
// map is now made for the explicit entries, the resolved refs' map once
// for all of them, look-ups ask the resolved refs first, a bit filter of
// the index's refs spares the resolution its miss, and the cache of ids
// is written from the ids in pack order instead of a map sorted again. In
// a profile of each (1M, load 4): reading the trees 1.87 s, now 1.33
// (resolving 1.03, now 0.66), the look-ups 0.73, now 0.53, the ids cache
// 0.45, now 0.12. Runs of main at ce163a0 (before) and rdb3 (after),
// alternated on the shared machine (-restore-db-target: one pushed
// history, now a 24 MB target, for both; load average in brackets):
//
//	1,000,000 items    restore-db   CPU       plain copy   anon
//	before (3.1)       10.9 s       12.8 s    0.09 s       534 MiB
//	after (3.3)        9.8 s        11.2 s    0.08 s       452 MiB
//	before (3.5)       11.7 s       12.8 s    0.22 s       534 MiB
//	after (3.5)        10.2 s       11.1 s    0.09 s       446 MiB
//	before (4.3)       8.4 s        10.2 s    0.09 s       551 MiB   profiled
//	after (4.2)        9.9 s        9.5 s     0.08 s       471 MiB   profiled
//	100,000 items, 3 pairs at load 3.8 to 5.7:
//	before             2.6, 1.9, 2.3 s   CPU 1.61, 1.43, 1.47 s
//	after              2.2, 2.1, 2.9 s   CPU 1.50, 1.44, 1.59 s
//
// So 6-13% less CPU at a million items (the wall time follows the load:
// the third pair went the other way), nothing through the noise at
// 100,000 (their maps fit the caches). The memory of those pairs (80-90
// MiB less) does not hold: later runs of the after builds peaked at 432
// to 565 MiB. What is left
// at a million, per that profile: ContentHash 1.3 s, the database's
// batch writer 1.2 s and commits 1.0 s (snapshot's), decompressing 0.6
// s, the restore file's writes and reads 0.8 s of system calls, the
// resolved refs' map 0.5-0.7 s (three look-ups an object: resolving,
// marking, filing), argon2id 0.25 s. The walk of the trees now marks the
// objects a chunk resolves with the places it resolved them to, without
// looking them up again (two look-ups an object left): two pairs against
// the build above at load 3.1 to 3.8 gave CPU 11.3 and 11.1 s before,
// 10.4 and 11.1 s after, reading the trees 1.63 and 1.53 s before, 1.62
// and 1.35 s after, which is within the noise. A pack's header is then
// searched in its list by offset instead of a map made for each pack
// (the map's making and look-ups 0.3-0.4 s, the search 0.2 s; two pairs
// at load 4 to 5: CPU 10.6 and 11.1 s before, 10.8 and 10.5 s after,
// again within the noise). main at ce163a0 against all of it, two pairs
// at a million items, load 4.9 to 9.9: CPU 13.8 and 11.0 s before, 10.2
// and 10.0 s after; wall 28.6 and 23.5 s before, 20.5 and 23.8 s after
// (a plain copy 0.3 to 1.0 s); at 100,000 items, load 11 to 12: CPU
// 1.41 and 2.28 s before, 1.57 and 1.92 s after. The canonical JSON goes only with a
// cheaper canonicalisation (jsonv) or with full ids on the target (a
// format change).
//
// Then (branch rdb4) the schedule. A runtime trace of a million-item
// restore-db showed the filing goroutine ready to run but waiting for a
// processor (3.8 s of its 10.6) behind four pack preparations, each
// decrypting, decompressing and hashing at once on 2 cores: the first
// pack the import needs was ready only when the first four were, and
// then the filing shared the processors with all of them. The
// preparation now downloads four packs at once as before but holds one
// token per processor (runtime.GOMAXPROCS) for what follows the download,
// so packs come ready in about the order they are named (internal/
// offsite: Restorer). Besides: the reading of the trees notes where each
// entry of a leaf chunk is, and the filing of a full tree takes its
// objects from there (a million look-ups in the resolved refs' map were
// 0.5 of the filing's 1.8 CPU-s); a pack's resolved refs are read under
// one lock, not one a blob (the trace's scheduler-latency profile put
// 11.7 s at the tree reader's unlocks of the refs' lock);
// an object's id and bytes are read from the restore file under one
// lock; each pack is decompressed into a buffer used again, not a new
// one of some MiB (page faults are a fifth of restore-db's CPU on this
// VM, most of them argon2id's);
// a commit built on the one before decodes the chunks it patches into
// reused buffers (snapshot's chunkDecoder), not a slice per key. The
// checks are where they were. The binary itself (enspace-sync offsite
// restore-db on the benchmark's targets, user and system time from
// /usr/bin/time), main at 18b80e3 (before) and rdb4 (after), alternated:
//
//	100,000 items, 6 pairs at load 1.1: before 0.76-0.81 s (median 0.78),
//	CPU 1.17-1.22 s (median 1.19); after 0.67-0.69 s (median 0.685), CPU
//	1.05-1.09 s (median 1.06); a plain copy of the 2.4 MB 0.02 s
//	1,000,000 items, 3 pairs at load 1.2-1.3: before 6.0, 6.0, 6.8 s
//	(CPU 9.0, 8.8, 10.2 s); after 5.1, 5.2, 8.8 s (CPU 8.2, 7.8, 9.2 s;
//	the last at a load of 1.9)
//	1,000,000 items, RestoreDB in a test process, 3 pairs at load 4.4 to
//	6.2: before 8.2, 10.1, 7.1 s (CPU 9.8, 9.3, 9.2 s); after 5.4, 6.0,
//	6.0 s (CPU 8.5, 8.1, 8.2 s), the build before the reused buffers
//	BenchmarkRestoreDB, 1,000,000 items, 2 pairs at load 2.5-2.8: anon
//	472 and 539 MiB before, 500 and 508 MiB after
//
// About 12% less time and CPU at 100,000 items, a sixth to a quarter
// less time at a million. Not the half the issue asked: at 100,000 items
// a fifth of the CPU is argon2id (64 MiB, which the key file's
// parameters fix; two thirds of it the page faults of memory fresh from
// the system), an eighth hashing the objects, a sixth the database's
// writer and commits (perf record of the binary); restore-db stays some
// 35 times a plain copy of the target, bound by that CPU.
// Since then the resolved refs live in a table, not a map
// (internal/offsite, # Figures); that and warming argon2id's memory
// together took a sixth to a fifth off the CPU at 100,000 items, but the
// warming (some 0.2 CPU-s of it) was not kept for every derivation (it
// marks the daemon's heap for huge pages for good). restore-db, which
// exits when done, warms it again (offsite.Options.WarmKDF): a fifth
// less CPU at 100,000 items (internal/offsite, the end of # Figures).
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
