// Package scheduler runs named jobs, each a func(ctx) error, on cron
// schedules: the daemon's periodic backups. It knows time and nothing of
// Enspace, storage or HTTP.
//
// Schedules are standard 5-field cron specs or descriptors ("@daily",
// "@every 6h"), parsed with robfig/cron's ParseStandard and computed in
// Options.Location (a "CRON_TZ=" prefix overrides it per job). Only the
// parser and its Next are used: the loop that waits is this package's,
// driven by an injected Clock so tests advance a fake clock and never sleep.
//
// This package is the only one that parses schedules (a test in
// internal/archtest keeps it so): ParseSchedule (which never panics, and
// refuses an "@every" under one second and a spec that never activates),
// Schedule.Next and Period serve config validation and the daemon's
// readiness check, so that every part agrees on what a spec means.
//
// Guarantees:
//   - No overlap: a start (scheduled or TriggerNow) that finds the job still
//     running, or still waiting for a slot, is skipped, logged with a "job"
//     attribute and counted in JobStatus.Skips. The jobs in flight are held
//     in a Guard; schedulers given the same Options.Guard (the daemon's,
//     across a reload) never run two jobs of one name at once.
//   - TriggerAfter is TriggerNow that, when the job is in flight, asks for
//     one more run right after it instead of skipping: the Guard consumes
//     the request as it would release the name, in one step, so a request
//     made as a run ends is never lost. The run that was in flight makes
//     it, in whichever scheduler sharing the Guard runs it (even one that
//     was stopped: the daemon's runs outlive a replaced scheduler). A run
//     TriggerAfter started that is still waiting for a slot when its
//     scheduler stops is not dropped either: the scheduler that started
//     last with a job of that name makes it, at once or when it starts.
//   - At most Options.MaxConcurrent runs execute at once; the others wait for
//     a slot, and are skipped (and counted) if the scheduler stops first.
//   - Catch-up: at Start, a job whose Job.LastSuccess is zero or older than
//     its period (the time between the two activations that follow Start) runs
//     once at once. One catch-up at most, however much was missed.
//   - Jitter: each scheduled run waits a random 0..Options.Jitter (inclusive)
//     first; catch-up and triggered runs do not. The loop spends the jitter
//     before it computes the next activation, so a jitter near the period
//     can push a run past the following activation, which is then not run.
//   - Stop stops starting runs, cancels the context passed to running jobs
//     and waits for them, bounded by the context given to Stop.
//   - A job that panics is recorded as failed with the panic text; it does not
//     take the process down.
//
// Clock jumps. Timers measure elapsed (monotonic) time and do not notice a
// wall-clock step, so the loop never sleeps longer than Options.WakeInterval
// (one minute by default) and re-reads the clock after every wake-up:
//   - A jump forward past one or more activations is seen at the next
//     wake-up and runs the job once, not once per missed activation; the next
//     activation is then computed from the new time.
//   - A jump backward (the clock reads earlier than at the last wake-up)
//     recomputes the next activation from the new time and waits for it.
//     Activations between the new time and the old one come round again, so a
//     run that happened just before the jump can happen once more.
//
// Daylight saving time follows Schedule.Next in the configured location:
//   - In spring-forward, a wall-clock time that does not exist (02:30 in
//     America/New_York) is skipped for that day, as robfig/cron does; hourly
//     specs go from 01:00 straight to 03:00.
//   - In fall-back, robfig/cron would activate a repeated reading twice
//     (01:30 EDT and 01:30 EST). For cron-field schedules this package runs a
//     reading once: an activation whose local wall-clock reading is not later
//     than the reading it is computed from is passed over. "@every"
//     schedules are durations, not readings, and keep their spacing.
//   - "@daily" stays at local midnight, so one day is 23 or 25 hours long.
//
// Caveats: a schedule's period for catch-up is measured around Start, so a
// spec with uneven gaps ("0 9,17 * * *") uses the gap that follows Start.
// Status times come from the Clock; NextRun is the activation before jitter.
package scheduler
