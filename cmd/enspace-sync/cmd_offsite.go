package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

const offsiteTargetsHelp = `Targets are the config's offsite: entries; --target NAME picks one,
the default is every target. The repository password comes from each
target's password_file; S3 keys from its *_file entries or the AWS_*
variables. A target that fails does not stop the others: its line (and
its JSON "error") says why; so does a target whose password or
credential file cannot be read, while the others go on. Exits 0 when
every target succeeded, 3 when some failed and others succeeded, 1 when
all failed (4 when each failure is a lock held by another process, 2 when
each is a password or credential file that cannot be read).`

func init() {
	register(&command{
		name:    "offsite push",
		summary: "upload the snapshots a target does not have, encrypted",
		usage:   "enspace-sync offsite push [--config FILE] [--target NAME] [--json]",
		help: `Uploads every local snapshot that the target does not hold yet under this
daemon's name (the config's name:, default the host name): the objects and
tree chunks the target lacks, in compressed, encrypted packs, then an index
of the packs, then each snapshot's record, last. A push that is stopped
leaves no snapshot visible on the target; the next one reuses what the
finished index files list. The first push to an empty target creates its
repository and key. The daemon pushes after each backup.

` + offsiteTargetsHelp + `

Examples:
  enspace-sync offsite push
  enspace-sync offsite push --target nas --json`,
		run: configured("offsite push", 0, offsitePushCommand),
	})
	register(&command{
		name:    "offsite snapshots",
		summary: "list the snapshots on the offsite targets, of every daemon",
		usage:   "enspace-sync offsite snapshots [--config FILE] [--target NAME] [--json]",
		help: `Lists the snapshots on the target, of every daemon that pushes to it, oldest
first: the daemon's name, the workspace, the snapshot's id (the same as in
the database that took it), when it was taken and pushed. With --json, an
array of snapshots only: a target that cannot be listed is named on stderr
and in the exit status.

` + offsiteTargetsHelp + `

Examples:
  enspace-sync offsite snapshots
  enspace-sync offsite snapshots --target s3 --json`,
		run: configured("offsite snapshots", 0, offsiteSnapshotsCommand),
	})
	register(&command{
		name:    "offsite verify",
		summary: "check a target's index, snapshots and (--read-data) packs",
		usage:   "enspace-sync offsite verify [--config FILE] [--target NAME] [--read-data] [--json]",
		help: `Checks that every index file decrypts, that every pack it lists exists, and
that every snapshot's trees and objects are in listed packs. --read-data
also downloads every pack and checks its hash, that it decrypts and holds
what the index says, and that each object hashes to its id. Each problem
names the object. Exits 1 when it finds a problem. It writes no lock
(read-only credentials suffice) and exits 4, naming it, while another
process prunes the target.

` + offsiteTargetsHelp + `

Examples:
  enspace-sync offsite verify
  enspace-sync offsite verify --read-data --json`,
		run: configured("offsite verify", 0, offsiteVerifyCommand),
	})
	register(&command{
		name:    "offsite forget",
		summary: "remove from targets the snapshots local retention dropped",
		usage:   "enspace-sync offsite forget [--config FILE] [--target NAME] [--json]",
		help: `Follows the local retention: removes from the target this daemon's snapshots
that the local database no longer holds (forget or the daemon's retention
dropped them). Other daemons' snapshots are never touched. Run offsite
prune afterwards to free the space.

` + offsiteTargetsHelp + `

Examples:
  enspace-sync forget --prune && enspace-sync offsite forget
  enspace-sync offsite forget --target s3 --json`,
		run: configured("offsite forget", 0, offsiteForgetCommand),
	})
	register(&command{
		name:    "offsite prune",
		summary: "delete and repack the offsite packs no snapshot uses",
		usage:   "enspace-sync offsite prune [--config FILE] [--target NAME] [--json]",
		help: fmt.Sprintf(`Deletes the packs that no snapshot on the target uses (of any daemon) and
rewrites those that are mostly unused, then replaces the index files with
one. It takes an exclusive lock: pushes wait for it to finish, and it does
not start while one runs. Packs younger than %s are left alone, so that
what a push that outlived its lock uploads is never deleted.

`+offsiteTargetsHelp+`

Examples:
  enspace-sync offsite forget && enspace-sync offsite prune
  enspace-sync offsite prune --target nas --json`, offsite.DefaultPruneWindow),
		run: configured("offsite prune", 0, offsitePruneCommand),
	})
	register(&command{
		name:    "offsite unlock",
		summary: "remove stale locks from an offsite target",
		usage:   "enspace-sync offsite unlock [--config FILE] [--target NAME] [--all] [--json]",
		help: fmt.Sprintf(`Removes the target's stale locks: those not refreshed for %s (their
process died). --all removes every lock: only when no daemon is pushing or
pruning, for a lock whose process you know is gone.

`+offsiteTargetsHelp+`

Examples:
  enspace-sync offsite unlock
  enspace-sync offsite unlock --target s3 --all`, offsite.DefaultLockExpiry),
		run: configured("offsite unlock", 0, offsiteUnlockCommand),
	})
}

// offsiteOptions are the flags of the offsite commands.
type offsiteOptions struct {
	invocation
	target   string
	readData bool
	all      bool
}

func (o *offsiteOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.target, "target", "", "the offsite target's name (default: every target)")
	switch o.cmd.name {
	case "offsite verify":
		fs.BoolVar(&o.readData, "read-data", false, "download every pack and check what it holds")
	case "offsite unlock":
		fs.BoolVar(&o.all, "all", false, "remove every lock, not only stale ones")
	}
}

// offsiteError gives a lock conflict the locked exit status, and a
// command run on several targets its status: 3 (partial) when some
// failed and others succeeded, 1 when all failed (4 when every failure
// is a lock held elsewhere, 2 when every failure is a password or
// credential file the config could not read). A context error is the command's
// interruption (130) only when ctx, the command's, was cancelled.
func offsiteError(ctx context.Context, err error) error {
	var te *app.TargetsError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return err
	case errors.As(err, &te):
		code := unitsExit(te.Partial(), te.AllConfig())
		if code == ExitError && te.AllLocked() {
			code = ExitLocked
		}
		return withExit(code, err)
	case errors.Is(err, offsite.ErrLocked):
		return withExit(ExitLocked, err)
	}
	return err
}

// printFailed prints a failed target's line: its error instead of
// figures it never reached.
func printFailed(ctx context.Context, m *Main, target, msg string) {
	if interrupted(ctx, msg) {
		fmt.Fprintf(m.Stdout, "%s: interrupted\n", target)
		return
	}
	fmt.Fprintf(m.Stdout, "%s: failed: %s\n", target, msg)
}

// interrupted reports whether a target's error is the command's own
// interruption (Ctrl-C), which its line says as such, not as a failure
// ending in "context canceled": ctx, the command's context, was
// cancelled and the error is what that caused. A "context canceled"
// without it (a lost lock, a library's own cancellation) is a failure.
func interrupted(ctx context.Context, msg string) bool {
	return ctx.Err() != nil && strings.HasSuffix(msg, context.Canceled.Error())
}

func offsitePushCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.openService(o.cfg, true, "offsite push")
	if err != nil {
		return err
	}
	reps, err := svc.OffsitePush(ctx, o.target)
	if o.g.asJSON && reps != nil {
		if jerr := printJSON(m, reps); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range reps {
			if r.Error != "" {
				if len(r.Pushed) > 0 {
					then := "then failed: " + r.Error
					if interrupted(ctx, r.Error) {
						then = "then interrupted"
					}
					fmt.Fprintf(m.Stdout, "%s: pushed %d snapshots, %s uploaded, %s\n", r.Target, len(r.Pushed), humanBytes(r.Uploaded), then)
				} else {
					printFailed(ctx, m, r.Target, r.Error)
				}
				continue
			}
			fmt.Fprintf(m.Stdout, "%s: pushed %d snapshots (%d already there), %d objects and %d tree chunks in %d packs, %s uploaded in %.1fs\n",
				r.Target, len(r.Pushed), r.Already, r.Blobs, r.Chunks, r.Packs, humanBytes(r.Uploaded), r.Seconds)
		}
	}
	return offsiteError(ctx, err)
}

func offsiteSnapshotsCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	snaps, err := svc.OffsiteSnapshots(ctx, o.target)
	if snaps == nil {
		return offsiteError(ctx, err)
	}
	if o.g.asJSON {
		// The array holds snapshots only: a target that could not be
		// listed is in the error (stderr) and the exit status; when none
		// could, nothing is printed.
		listed := make([]app.OffsiteSnapshot, 0, len(snaps))
		for _, s := range snaps {
			if s.Error == "" {
				listed = append(listed, s)
			}
		}
		if len(listed) > 0 || err == nil {
			if jerr := printJSON(m, listed); jerr != nil {
				return jerr
			}
		}
		return offsiteError(ctx, err)
	}
	listed := 0
	for _, s := range snaps {
		if s.Error == "" {
			listed++
		}
	}
	if listed == 0 {
		if err == nil {
			fmt.Fprintln(m.Stdout, "no snapshots on the target")
		}
	} else {
		fmt.Fprintf(m.Stdout, "%-10s %-16s %-20s %-16s %-20s %-9s %s\n", "TARGET", "NAME", "WORKSPACE", "ID", "TAKEN", "STATUS", "OBJECTS")
	}
	for _, s := range snaps {
		if s.Error != "" {
			continue
		}
		fmt.Fprintf(m.Stdout, "%-10s %-16s %-20s %-16s %-20s %-9s %d\n", s.Target, s.Name, s.Workspace, s.ID,
			s.StartedAt.Local().Format(time.DateTime), s.Status, s.Objects)
	}
	for _, s := range snaps {
		if s.Error != "" {
			printFailed(ctx, m, s.Target, s.Error)
		}
	}
	return offsiteError(ctx, err)
}

func offsiteVerifyCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	reps, err := svc.OffsiteVerify(ctx, o.target, o.readData)
	if o.g.asJSON && reps != nil {
		if jerr := printJSON(m, reps); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range reps {
			if r.Error != "" && len(r.Problems) == 0 {
				printFailed(ctx, m, r.Target, r.Error)
				continue
			}
			fmt.Fprintf(m.Stdout, "%s: %d snapshots, %d packs, %d index files", r.Target, r.Snapshots, r.Packs, r.Indexes)
			if r.ReadData {
				fmt.Fprintf(m.Stdout, ", %s read", humanBytes(r.BytesRead))
			}
			if r.Unindexed > 0 {
				fmt.Fprintf(m.Stdout, ", %d packs left by interrupted pushes (offsite prune removes them)", r.Unindexed)
			}
			fmt.Fprintf(m.Stdout, ": %d problems\n", len(r.Problems))
			for _, p := range r.Problems {
				fmt.Fprintf(m.Stdout, "  %s: %s\n", p.Object, p.Message)
			}
			if interrupted(ctx, r.Error) {
				fmt.Fprintln(m.Stdout, "  then interrupted")
			} else if r.Error != "" {
				fmt.Fprintf(m.Stdout, "  then failed: %s\n", r.Error)
			}
		}
	}
	return offsiteVerifyError(ctx, err)
}

// offsiteVerifyError is offsiteError for verify: damage found exits 1,
// whatever the other targets did, unless the verify was interrupted
// (130: the verify did not finish).
func offsiteVerifyError(ctx context.Context, err error) error {
	if errors.Is(err, app.ErrOffsiteDamaged) && !(errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		return withExit(ExitError, err)
	}
	return offsiteError(ctx, err)
}

func offsiteForgetCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.openService(o.cfg, true, "offsite forget")
	if err != nil {
		return err
	}
	reps, err := svc.OffsiteForget(ctx, o.target)
	if o.g.asJSON && reps != nil {
		if jerr := printJSON(m, reps); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range reps {
			if r.Error != "" {
				printFailed(ctx, m, r.Target, r.Error)
				continue
			}
			fmt.Fprintf(m.Stdout, "%s: forgot %d snapshots, kept %d\n", r.Target, len(r.Forgotten), r.Kept)
		}
	}
	return offsiteError(ctx, err)
}

func offsitePruneCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	reps, err := svc.OffsitePrune(ctx, o.target)
	if o.g.asJSON && reps != nil {
		if jerr := printJSON(m, reps); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range reps {
			if r.Error != "" {
				printFailed(ctx, m, r.Target, r.Error)
				continue
			}
			fmt.Fprintf(m.Stdout, "%s: %d packs: deleted %d, repacked %d, kept %d young ones; freed %s\n",
				r.Target, r.Packs, r.Deleted, r.Repacked, r.Young, humanBytes(r.FreedBytes))
		}
	}
	return offsiteError(ctx, err)
}

func offsiteUnlockCommand(ctx context.Context, m *Main, o *offsiteOptions) error {
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	reps, err := svc.OffsiteUnlock(ctx, o.target, o.all)
	if o.g.asJSON && reps != nil {
		if jerr := printJSON(m, reps); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range reps {
			if r.Error != "" {
				printFailed(ctx, m, r.Target, r.Error)
				continue
			}
			fmt.Fprintf(m.Stdout, "%s: removed %d locks\n", r.Target, len(r.Removed))
			for _, l := range r.Removed {
				fmt.Fprintf(m.Stdout, "  %s (%s on %s, pid %d, refreshed %s)\n", l.Name, l.Op, l.Host, l.PID, l.Refreshed.Local().Format(time.DateTime))
			}
		}
	}
	return offsiteError(ctx, err)
}
