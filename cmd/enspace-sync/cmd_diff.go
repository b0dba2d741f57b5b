package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func init() {
	register(&command{
		name:    "diff",
		summary: "show what changed between two snapshots",
		usage:   "enspace-sync diff [--config FILE] [--workspace NAME] [--kind KIND]... [--json] [--stat] [--exit-code] [A [B]]",
		help: `Compares two snapshots of a workspace object by object and field by field.
Without arguments: the latest complete snapshot against the one before it.
With A: A against the latest snapshot. With A and B: A against B. A and B
are ids, unique id prefixes, latest or latest~N.

Changes are grouped by kind (and by type for fields and items) and named by
slug, name or email, not only by id. What only the server changes
(updated_at, ids, the embedded user) and kinds that change on every read
(statistics, request log) are counted apart as noise, never listed as
changes. A kind that either snapshot could not read is shown as unknown,
never as removed.

--json prints {"summary": {KIND: {"added", "removed", "changed",
"unknown"}}, "changes": [{"kind", "parent", "key", "label", "op",
"fields": [{"path", "op", "old", "new"}]}], "noise": {...}, "unknown": {...},
"from", "to"}.

Exit status: 0, also when there are changes; with --exit-code, 5 when there
are changes (noise does not count) and 0 when there are none.

Examples:
  enspace-sync diff
  enspace-sync diff --workspace acme latest~7 --kind items --stat
  enspace-sync diff 3f2a9c1d 7a12f168 --json | jq '.summary'`,
		local: true,
		run:   configured("diff", 2, diffCommand),
	})
}

// diffOptions are diff's flags and arguments.
type diffOptions struct {
	invocation
	workspace string
	kinds     stringList
	stat      bool
	exitCode  bool
}

func (o *diffOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.workspace, "workspace", "", "the workspace (may be left out when the config has one)")
	fs.Var(&o.kinds, "kind", "only this kind (types, fields, items, members, ...); repeat for several")
	fs.BoolVar(&o.stat, "stat", false, "print the summary lines only")
	fs.BoolVar(&o.exitCode, "exit-code", false, "exit with status 5 when there are changes")
}

// diffCommand prints what changed between the two snapshots o names.
func diffCommand(ctx context.Context, m *Main, o *diffOptions) error {
	for _, k := range o.kinds {
		if _, err := kind.ByName(k); err != nil {
			return usagef("diff", "--kind: %s", err)
		}
	}
	svc, err := m.openService(o.cfg, true, "diff")
	if err != nil {
		return err
	}
	from, to, err := svc.DiffEnds(o.workspace, o.args)
	if err != nil {
		return err
	}
	res, err := svc.Compare(from, to, o.kinds)
	if err != nil {
		return err
	}
	if o.g.asJSON {
		if err := printJSON(m, diffJSON{Result: res, From: from.ID, To: to.ID}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "%s %s (%s) -> %s (%s)\n", from.Workspace, from.ShortID(), from.StartedAt.Local().Format("2006-01-02 15:04"),
			to.ShortID(), to.StartedAt.Local().Format("2006-01-02 15:04"))
		if err := diff.WriteText(m.Stdout, res, diff.TextOptions{Stat: o.stat}); err != nil {
			return err
		}
	}
	if o.exitCode && !res.Empty() {
		return withExit(ExitChanges, nil)
	}
	return nil
}

// diffJSON is the --json output: the change set and the two snapshots.
type diffJSON struct {
	*diff.Result
	From string `json:"from"`
	To   string `json:"to"`
}
