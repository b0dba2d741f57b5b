package demo

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"
)

// intro says what the tour does and where its files go.
func (t *tour) intro() {
	w := t.out
	fmt.Fprintln(w, "enspace-sync demo: a guided tour, against a fake Enspace API that runs inside this process.")
	fmt.Fprintln(w, "Each step shows the command you would type ($), what it printed, and a check (✓) of what")
	fmt.Fprintln(w, "the step claims; a check that fails stops the demo.")
	if t.opts.Keep != "" {
		fmt.Fprintf(w, "Files: %s (kept).\n", t.dir)
	} else {
		fmt.Fprintf(w, "Files: %s (removed at the end; --keep DIR keeps them).\n", t.dir)
	}
}

// outro says that every check passed, where the files are, and how to
// explore them.
func (t *tour) outro() {
	w := t.out
	fmt.Fprintf(w, "\nDone: %d steps in %s, every check passed.\n", t.step, time.Since(t.start).Round(10*time.Millisecond))
	if !(t.opts.Keep != "") {
		fmt.Fprintf(w, "\nThe files were in %s and are removed now. To explore them with the other\n", t.dir)
		fmt.Fprintln(w, "commands (snapshots, diff, show, log, verify, restore --from-export), run: enspace-sync demo --keep DIR")
		return
	}
	cfg := shellJoin([]string{t.cfgPath})
	first, second := t.snaps[0].ShortID(), t.snaps[1].ShortID()
	fmt.Fprintf(w, "\nThe files are in %s:\n", t.dir)
	for _, f := range []struct{ name, what string }{
		{"config.yaml", "the config: workspaces acme and acme-stage on the fake API"},
		{"key", "the fake API's key (mode 0600)"},
		{filepath.Base(t.dbPath), fmt.Sprintf("the database: %d snapshots of acme", len(t.snaps))},
		{filepath.Base(t.exportPath), "the export of the last one"},
	} {
		fmt.Fprintf(w, "  %-22s %s\n", f.name, f.what)
	}
	fmt.Fprintln(w, "Explore them:")
	for _, c := range []string{
		"snapshots --config " + cfg,
		fmt.Sprintf("diff --config %s --workspace acme %s %s", cfg, first, second),
		fmt.Sprintf("show --config %s --workspace acme %s item:contracts/1061", cfg, first),
		fmt.Sprintf("log --config %s --workspace acme item:clients/1001", cfg),
		fmt.Sprintf("verify --config %s --read-data", cfg),
	} {
		fmt.Fprintf(w, "  enspace-sync %s\n", c)
	}
	host := t.url
	if u, err := url.Parse(t.url); err == nil {
		host = u.Host
	}
	fmt.Fprintln(w, "The fake API and its data lived only in this process and are gone. For the commands that")
	fmt.Fprintln(w, "talk to the API (backup, restore, replicate, export --live), start a new fake at the")
	fmt.Fprintln(w, "config's address in another shell; it starts again from the demo data, not from where")
	fmt.Fprintln(w, "this tour left it:")
	fmt.Fprintf(w, "  enspace-sync fake-api --data demo --listen %s\n", host)
}
