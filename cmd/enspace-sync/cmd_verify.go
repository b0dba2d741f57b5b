package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "check the database for damage",
		usage:   "enspace-sync verify [--config FILE] [--read-data] [--json]",
		help: `Checks that every snapshot's record, trees and objects are present and
decode. With --read-data it also decompresses every stored object and checks
that its content still hashes to its address (slower: reads everything).

Each damaged snapshot and object is named. The exit status is 1 when
anything is damaged. With --json: {"ok", "snapshots", "objects", "blobs",
"read_data", "problems": [{"snapshot", "collection", "key", "error"}]}.

Examples:
  enspace-sync verify
  enspace-sync verify --read-data --json`,
		local: true,
		run:   configured("verify", 0, verifyCommand),
	})
}

// verifyOptions are verify's flags and arguments.
type verifyOptions struct {
	invocation
	readData bool
}

func (o *verifyOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.readData, "read-data", false, "also re-hash every stored object")
}

// verifyCommand checks the database for damage.
func verifyCommand(ctx context.Context, m *Main, o *verifyOptions) error {
	svc, err := m.openService(o.cfg, true, "verify")
	if err != nil {
		return err
	}
	rep, err := svc.Verify(o.readData)
	if err != nil {
		return err
	}
	problems := append([]snapshot.Problem{}, rep.Problems...)
	if o.g.asJSON {
		if err := printJSON(m, map[string]any{
			"ok": rep.OK(), "snapshots": rep.Snapshots, "objects": rep.Objects, "blobs": rep.Blobs,
			"read_data": rep.ReadData, "problems": problems, "unlisted_problems": rep.Unlisted,
		}); err != nil {
			return err
		}
	} else {
		what := "structure"
		if rep.ReadData {
			what = "structure and data"
		}
		fmt.Fprintf(m.Stdout, "checked %s of %d snapshots: %d objects, %d distinct blobs\n", what, rep.Snapshots, rep.Objects, rep.Blobs)
		for _, p := range rep.Problems {
			fmt.Fprintf(m.Stdout, "damaged: %s\n", p.String())
		}
		if rep.Unlisted > 0 {
			fmt.Fprintf(m.Stdout, "damaged: %d more problems not listed\n", rep.Unlisted)
		}
	}
	if !rep.OK() {
		return withExit(ExitError, fmt.Errorf("the database is damaged: %d problems", len(rep.Problems)+rep.Unlisted))
	}
	if !o.g.asJSON {
		fmt.Fprintln(m.Stdout, "no damage found")
	}
	return nil
}
