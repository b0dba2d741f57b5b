package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/progress"
)

func init() {
	register(&command{
		name:    "offsite restore-db",
		summary: "rebuild a database from an offsite target, on any machine",
		usage:   "enspace-sync offsite restore-db --from URL --to PATH --password-file FILE [--workspace W] [--snapshot S] [--name DAEMON] [--json] [-q|-v]",
		help: `Rebuilds a database from an offsite target, on a machine that may have
nothing else (no config is read): every snapshot on the target, or those
of --workspace, of the daemon --name, or the one --snapshot names (an id,
a prefix of 4 characters or more, or latest). Snapshots keep their ids,
times, status, counts and changes: snapshots, diff, show, restore and
export then work on the new database as on the original. Point a config's
database: at PATH to use it.

A workspace that several daemons pushed (offsite snapshots lists who
pushed what) holds one history for each: restore-db refuses it (exit 2),
naming the daemons, unless --name picks one; give the new machine's
config that name: so that its pushes continue that history. A database
restored without --name that holds several daemons' snapshots (restore-db
warns) is for reading: a daemon that pushes from it would publish the
others' snapshots under its own name, and the next restore-db without
--name would refuse them.

PATH must not exist (exit 2: choose a new path); the database is built
under PATH.restoring, synced and linked into place when complete: PATH
never holds a half-built database, and a file that appears there
meanwhile is left as it is. The directory of PATH needs free space for
the database and, while it runs, about the target's data decompressed.
An S3 target's keys come from --access-key-id-file and
--secret-access-key-file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;
the files must be readable by their owner only. It writes nothing to the
target (read-only credentials suffice) and exits 4, naming it, while
another process prunes the target.

A target that lost or damaged some packs still gives what it can: the
snapshots of a workspace are restored up to the first one that cannot be
read (a later one is built on it); the others, and the other workspaces,
are restored. The command then lists the snapshots it could not restore
and why (JSON "failed") and exits 3. When none can be, it exits 1 and
creates nothing.

Progress goes to stderr: the objects filed so far (a workspace's first
snapshot whole, then each snapshot's new and changed objects) against an
estimate of their total, on a line redrawn in place on a terminal, as a
plain line every 10 s otherwise; stdout (--json) carries the result only.
-q prints neither the progress nor the "restored" line (the snapshots it
could not restore are still listed) and logs errors only; otherwise
warnings (a record or index entry of the target that cannot be read) are
logged on stderr. -v adds the info level, at which restore-db logs
nothing more today.

Examples:
  enspace-sync offsite restore-db --from file:///mnt/nas/enspace \
      --to /var/lib/enspace-sync/enspace-sync.db \
      --password-file /etc/enspace-sync/offsite.password
  AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
      enspace-sync offsite restore-db \
      --from 's3://backups/acme?endpoint=https://minio:9000&path_style=true' \
      --to ./restored.db --password-file ./offsite.password \
      --workspace acme --json
  enspace-sync offsite restore-db --from file:///mnt/nas/enspace \
      --to ./restored.db --password-file ./offsite.password \
      --name backup-host-1 --snapshot latest`,
		run: runOffsiteRestoreDB,
	})
}

type restoreDBOptions struct {
	from, to, passwordFile, keyIDFile, secretFile string
	workspace, snapshot, name                     string
	asJSON                                        bool
	g                                             globalFlags // -q and -v only: no config is read
}

func runOffsiteRestoreDB(ctx context.Context, m *Main, args []string) error {
	cmd := commands["offsite restore-db"]
	fs := newFlags(cmd)
	var o restoreDBOptions
	fs.StringVar(&o.from, "from", "", "the target's URL: file:///DIR or s3://BUCKET/PREFIX?endpoint=...")
	fs.StringVar(&o.to, "to", "", "the database to create (must not exist)")
	fs.StringVar(&o.passwordFile, "password-file", "", "the file holding the repository password (mode 0600)")
	fs.StringVar(&o.keyIDFile, "access-key-id-file", "", "the file holding the S3 access key id (default $AWS_ACCESS_KEY_ID)")
	fs.StringVar(&o.secretFile, "secret-access-key-file", "", "the file holding the S3 secret key (default $AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&o.workspace, "workspace", "", "only this workspace's snapshots")
	fs.StringVar(&o.snapshot, "snapshot", "", "only this snapshot: an id, a prefix of 4+ characters, or latest")
	fs.StringVar(&o.name, "name", "", "only the snapshots this daemon pushed (needed when several pushed one workspace)")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as JSON on stdout")
	registerVerbosity(fs, &o.g)
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	o.g.command = cmd.name
	m.log = m.logger(nil, &o.g)
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	switch {
	case o.from == "":
		return usagef(cmd.name, "--from is required: the target's URL")
	case o.to == "":
		return usagef(cmd.name, "--to is required: the database to create")
	case o.passwordFile == "":
		return usagef(cmd.name, "--password-file is required: the file holding the repository password")
	}
	req := app.RestoreDBRequest{From: o.from, To: o.to, Workspace: o.workspace, Snapshot: o.snapshot, Name: o.name, Logger: m.log}
	pw, err := config.ReadKeyFile(o.passwordFile)
	if err != nil {
		return usagef(cmd.name, "--password-file: %v", err)
	}
	req.Password = pw.Reveal()
	if o.keyIDFile != "" {
		s, err := config.ReadKeyFile(o.keyIDFile)
		if err != nil {
			return usagef(cmd.name, "--access-key-id-file: %v", err)
		}
		req.Credentials.AccessKeyID = s.Reveal()
	}
	if o.secretFile != "" {
		s, err := config.ReadKeyFile(o.secretFile)
		if err != nil {
			return usagef(cmd.name, "--secret-access-key-file: %v", err)
		}
		req.Credentials.SecretAccessKey = s.Reveal()
	}
	label := "restore-db"
	if o.workspace != "" {
		label = o.workspace
	}
	line := progress.New(m.Stderr, label, o.g.quiet)
	req.Progress = line
	rep, err := app.RestoreDB(ctx, req)
	line.Done()
	if err != nil && !errors.Is(err, app.ErrRestorePartial) {
		return offsiteError(ctx, err) // a prune running on the target exits 4
	}
	if len(rep.Names) > 1 {
		fmt.Fprintf(m.Stderr, "warning: %s holds the snapshots of several daemons (%s): a daemon that pushes from it would publish the others' snapshots under its own name; to run a daemon on it, restore its name alone with --name\n",
			rep.To, strings.Join(rep.Names, ", "))
	}
	if o.asJSON {
		if jerr := printJSON(m, rep); jerr != nil {
			return jerr
		}
	} else {
		if !o.g.quiet {
			fmt.Fprintf(m.Stdout, "restored %d snapshots (%d objects) into %s (%s) in %.1fs\n",
				len(rep.Snapshots), rep.Objects, rep.To, humanBytes(rep.Bytes), rep.Seconds)
		}
		if len(rep.Failed) > 0 {
			fmt.Fprintf(m.Stdout, "could not restore %d snapshots:\n", len(rep.Failed))
			for _, f := range rep.Failed {
				fmt.Fprintf(m.Stdout, "  %s of %s (%s): %s\n", f.Snapshot, f.Workspace, f.Name, f.Error)
			}
		}
	}
	if err != nil {
		return withExit(ExitPartial, err) // the database holds what could be restored
	}
	return nil
}
