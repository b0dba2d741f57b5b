package main

import (
	"context"
	"flag"
	"fmt"
)

func init() {
	register(&command{
		name:    "db backup",
		summary: "write a consistent copy of the whole database",
		usage:   "enspace-sync db backup [--config FILE] --output FILE|-",
		help: `Writes a consistent copy of the whole database (every snapshot and its
history) to FILE, from one read transaction, so that the history itself
can be shipped offsite. The copy is written under a temporary name, synced
and linked into place: FILE never holds a half-written copy. FILE must not
exist (exit status 2: choose a new name), and a file that appears there
while the copy is written is left as it is.
Open the copy with any command by pointing a config's database at it.

--output - writes the copy to standard output, for a pipe (ssh, gzip,
an upload): the summary line goes to stderr. It is refused when standard
output is a terminal, since the copy is binary.

While the daemon runs, the copy is the one it serves from its own read
transaction (GET /v1/db at its listen address), so it never waits for a
backup to end. While another process holds the database for writing (a
backup from the shell), the copy waits up to 2 seconds and then exits with
status 4, naming that process.

Examples:
  enspace-sync db backup --output /mnt/offsite/enspace-sync-$(date +%F).db
  enspace-sync db backup --output - | gzip > enspace-sync.db.gz`,
		local: true,
		run:   configured("db backup", 0, dbBackupCommand),
	})
}

// dbBackupOptions are db backup's flags and arguments.
type dbBackupOptions struct {
	invocation
	output string
}

func (o *dbBackupOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.output, "output", "", "the file to write (must not exist), or - for standard output")
}

// dbBackupCommand writes a consistent copy of the database to o.output.
func dbBackupCommand(ctx context.Context, m *Main, o *dbBackupOptions) error {
	if o.output == "" {
		return usagef("db backup", "--output is required")
	}
	toStdout := o.output == "-"
	if toStdout && m.terminal(m.Stdout) {
		return usagef("db backup", "--output -: standard output is a terminal, and the copy is binary; redirect it to a file or a pipe")
	}
	svc, err := m.openService(o.cfg, true, "db backup")
	if err != nil {
		return err
	}
	if toStdout {
		n, err := svc.WriteDatabase(m.Stdout)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "copied the database (%s) to standard output\n", humanBytes(n))
		return nil
	}
	n, err := svc.CopyDatabase(o.output)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		return printJSON(m, map[string]any{"output": o.output, "bytes": n})
	}
	fmt.Fprintf(m.Stdout, "copied the database (%s) to %s\n", humanBytes(n), o.output)
	return nil
}
