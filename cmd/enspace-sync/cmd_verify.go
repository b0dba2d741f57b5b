package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "verify",
		summary: "check the database for damage",
		usage:   "enspace-sync verify [--config FILE] [--read-data] [--repair] [--json]",
		help: `Checks that every snapshot's record, trees and objects are present and
decode. With --read-data it also decompresses every stored object and checks
that its content still hashes to its address (slower: reads everything).

Each damaged snapshot and object is named. The exit status is 1 when
anything is damaged.

--repair (implies --read-data; opens the database for writing) records the
objects whose stored bytes are damaged, so the next backup stores them
afresh and every snapshot that used them heals, and records the outcome:
backups refuse a database whose last check found damage of its structure,
which only forgetting the snapshots named (or another copy of the database)
cures. With --json: {"ok", "snapshots", "objects", "blobs", "read_data",
"problems": [{"snapshot", "collection", "key", "error", "content"}]}.

Examples:
  enspace-sync verify
  enspace-sync verify --read-data --json
  enspace-sync verify --repair`,
		local: true,
		run:   configured("verify", 0, verifyCommand),
	})
}

// verifyOptions are verify's flags and arguments.
type verifyOptions struct {
	invocation
	readData bool
	repair   bool
}

func (o *verifyOptions) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.readData, "read-data", false, "also re-hash every stored object")
	fs.BoolVar(&o.repair, "repair", false, "record damaged objects so the next backup stores them afresh")
}

// verifyCommand checks the database for damage.
func verifyCommand(ctx context.Context, m *Main, o *verifyOptions) error {
	svc, err := m.openService(o.cfg, !o.repair, "verify")
	if err != nil {
		return err
	}
	if o.repair {
		return repairCommand(ctx, m, o, svc)
	}
	rep, err := svc.Verify(ctx, o.readData)
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

// repairCommand records the damage verify finds and says what heals it.
func repairCommand(ctx context.Context, m *Main, o *verifyOptions, svc *app.Service) error {
	rep, err := svc.Repair(ctx)
	if err != nil {
		return err
	}
	for _, p := range rep.Healable {
		fmt.Fprintf(m.Stdout, "damaged, recorded (the next backup stores it afresh): %s\n", p.String())
	}
	for _, p := range rep.Structural {
		fmt.Fprintf(m.Stdout, "damaged, not repairable (forget the snapshot or use another copy): %s\n", p.String())
	}
	fmt.Fprintf(m.Stdout, "checked %d snapshots: %d damaged objects recorded, %d structural problems\n", rep.Snapshots, rep.Check.Content, rep.Check.Structural)
	if rep.Check.Structural > 0 {
		return withExit(ExitError, fmt.Errorf("the database is damaged: backups refuse it until the snapshots named are forgotten and %s finds no structural damage", app.RepairCommand))
	}
	return nil
}
