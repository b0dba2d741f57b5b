package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

func init() {
	register(&command{
		name:    "log",
		summary: "show the history of one object across snapshots",
		usage:   "enspace-sync log [--config FILE] [--workspace NAME] [--json] SELECTOR",
		help: `Follows one object through every snapshot of a workspace, oldest first:
when it appeared, each change (the fields, old and new values), when it
disappeared, and in which snapshot. A snapshot that could not read the
object's kind says so ("unknown") instead of calling it gone.

SELECTOR names one object: item:SLUG/ID, field:SLUG/FIELD, type:SLUG,
role:SLUG, group:NAME, member:EMAIL, integration:ID, quick-task:ID.

--json prints [{"snapshot", "time", "op", "fields": [{"path", "op", "old",
"new"}]}] with op one of added, changed, removed, unknown.

Examples:
  enspace-sync log item:clients/1001
  enspace-sync log --workspace acme member:ana@acme.com --json`,
		local: true,
		run:   configured("log", 1, logCommand),
	})
}

// logOptions are log's flags and arguments.
type logOptions struct {
	invocation
	workspace string
}

func (o *logOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.workspace, "workspace", "", "the workspace (may be left out when the config has one)")
}

// logCommand prints the history of the object o names across the snapshots.
func logCommand(ctx context.Context, m *Main, o *logOptions) error {
	if len(o.args) != 1 {
		return usagef("log", "name one object, such as item:clients/1001")
	}
	sel, err := selector.Parse(o.args[0])
	if err != nil {
		return usagef("log", "%s", err)
	}
	svc, err := m.openService(o.cfg, true, "log")
	if err != nil {
		return err
	}
	h, err := svc.History(app.HistoryRequest{Workspace: o.workspace, Selector: sel})
	if err != nil {
		return err
	}
	if o.g.asJSON {
		return printJSON(m, h.Entries)
	}
	if len(h.Entries) == 0 {
		return h.NotFound(sel)
	}
	for _, e := range h.Entries {
		fmt.Fprintf(m.Stdout, "%s  %s  %s", e.Time.Local().Format("2006-01-02 15:04:05"), app.ShortID(e.Snapshot), e.Op)
		if e.Note != "" {
			fmt.Fprintf(m.Stdout, " (%s)", e.Note)
		}
		fmt.Fprintln(m.Stdout)
		for _, f := range e.Fields {
			fmt.Fprintf(m.Stdout, "    %s: %s -> %s\n", f.Path, logValue(f.Old, f.Op == diff.Added), logValue(f.New, f.Op == diff.Removed))
		}
	}
	return nil
}

// logValue prints a field value on one line; absent values print as (none).
func logValue(v any, absent bool) string {
	if absent {
		return "(none)"
	}
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
