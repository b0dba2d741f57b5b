package main

import (
	"context"
	"fmt"
)

func init() {
	register(&command{
		name:    "prune",
		summary: "delete stored objects that no snapshot uses",
		usage:   "enspace-sync prune [--config FILE] [--json]",
		help: `Deletes the stored objects (and tree nodes) that no remaining snapshot
references, and reports how many and how many bytes were freed. The file
does not shrink: bbolt reuses the freed pages for later snapshots.

Examples:
  enspace-sync forget --keep-last 5 && enspace-sync prune`,
		local: true,
		run:   configured("prune", 0, pruneCommand),
	})
}

// pruneOptions are prune's flags and arguments.
type pruneOptions struct{ invocation }

// pruneCommand deletes the stored objects no snapshot uses.
func pruneCommand(ctx context.Context, m *Main, o *pruneOptions) error {
	svc, err := m.openService(o.cfg, false, "prune")
	if err != nil {
		return err
	}
	st, err := svc.Prune()
	if err != nil {
		return err
	}
	if o.g.asJSON {
		return printJSON(m, map[string]any{"pruned_objects": st.Objects(), "freed_bytes": st.Bytes, "kept_objects": st.Kept})
	}
	fmt.Fprintf(m.Stdout, "pruned %d stored objects, %s freed; %d still in use\n", st.Objects(), humanBytes(st.Bytes), st.Kept)
	return nil
}
