package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/export"
)

// demoManualKinds are the kinds only the Enspace UI can recreate: a restore
// lists them as manual, so they stay different after it.
var demoManualKinds = map[string]bool{"forms": true, "flows": true, "stages": true, "tasks": true, "schedule-tasks": true}

func stepRestore(ctx context.Context, d *demo) (string, error) {
	args := []string{"restore", "--config", d.cfgPath, "--workspace", "acme", "--snapshot", d.snaps[0].ShortID(), "type:contracts"}
	plan, applied, err := planThenApply(ctx, d, args)
	if err != nil {
		return "", err
	}
	if writes := plan.create + plan.update; plan.create == 0 || applied.failed > 0 || applied.done != writes {
		return "", fmt.Errorf("the plan had %d writes (%d creates), the apply did %d and %d failed", writes, plan.create, applied.done, applied.failed)
	}
	return fmt.Sprintf("%s done (%s, %s), none failed; the %s are what only the Enspace UI can recreate",
		plural(applied.done, "write"), plural(plan.create, "create"), plural(plan.update, "update"), plural(applied.manual, "manual step")), nil
}

func stepThirdBackup(ctx context.Context, d *demo) (string, error) {
	out, err := d.exec(ctx, nil, "backup", "--config", d.cfgPath, "--workspace", "acme")
	if err != nil {
		return "", err
	}
	d.show(splitLines(out.stdout)...)
	snap, err := d.latestBackup()
	if err != nil {
		return "", err
	}
	first := d.snaps[0]
	diffOut, err := d.exec(ctx, nil, "diff", "--config", d.cfgPath, "--workspace", "acme", first.ShortID(), snap.ShortID())
	if err != nil {
		return "", err
	}
	d.show(collapseRuns(splitLines(diffOut.stdout), 2)...)
	res, err := d.compare(first, snap)
	if err != nil {
		return "", err
	}
	serverOnly, err := checkRestored(res, d.noteField)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("type contracts is back as it was in %s: its type, fields and items, and the invoices that point at them, "+
		"differ only in what the server assigns (%d objects: new ids, times). What else differs is the other edits of step 3 "+
		"(a restore brings back only what it names, and deletes nothing) and what only the Enspace UI can recreate",
		first.ShortID(), serverOnly), nil
}

// checkRestored checks the changes from the first snapshot to the one
// after the restore: nothing of the type contracts, only the person's
// other edits and the manual kinds; it returns how many objects differ in
// server-assigned fields only.
func checkRestored(res *diff.Result, noteField string) (int, error) {
	edits := 0
	for _, c := range res.Changes {
		switch {
		case demoManualKinds[c.Kind] && (c.Op == diff.Removed || c.Op == diff.Unknown):
		case c.Kind == "fields" && c.Parent == "invoices" && c.Key == noteField && c.Op == diff.Added:
			edits++
		case c.Kind == "items" && c.Parent == "clients" && c.Op == diff.Changed &&
			(c.Key == "1001" || c.Key == "1002" || c.Key == "1003"):
			edits++
		default:
			name := c.Key
			if c.Parent != "" {
				name = c.Parent + "/" + c.Key
			}
			return 0, fmt.Errorf("after the restore %s %s is %s against the first snapshot", c.Kind, name, c.Op)
		}
	}
	for kind, why := range res.Unknown {
		if !demoManualKinds[kind] {
			return 0, fmt.Errorf("after the restore %s is unknown: %s", kind, why)
		}
	}
	if edits != 4 {
		return 0, fmt.Errorf("the diff shows %d of the 4 other edits of step 3", edits)
	}
	serverOnly := 0
	for _, kind := range []string{"types", "fields", "items"} {
		serverOnly += res.Noise[kind].ServerOnly
	}
	if serverOnly == 0 {
		return 0, fmt.Errorf("no object differs in server-assigned fields: the restored objects should have new ids")
	}
	return serverOnly, nil
}

func stepReplicate(ctx context.Context, d *demo) (string, error) {
	args := []string{"replicate", "--config", d.cfgPath, "--from", "acme-stage", "--to", "acme"}
	plan, applied, err := planThenApply(ctx, d, args)
	if err != nil {
		return "", err
	}
	writes := plan.create + plan.update + plan.del
	if writes == 0 || applied.failed > 0 || applied.done != writes {
		return "", fmt.Errorf("the plan had %d writes, the apply did %d and %d failed", writes, applied.done, applied.failed)
	}
	again, err := d.exec(ctx, nil, append(args, "--dry-run")...)
	if err != nil {
		return "", err
	}
	plan2, summary, err := readPlanCounts(again.stdout)
	if err != nil {
		return "", err
	}
	d.show(strings.TrimSpace(summary))
	d.show(linesWith(splitLines(again.stdout), "Nothing to apply")...)
	if n := plan2.create + plan2.update + plan2.del; n > 0 {
		return "", fmt.Errorf("after the apply a new plan still has %d writes", n)
	}
	return fmt.Sprintf("the %s planned (%s, %s, %s) were applied, none failed, and a new plan has nothing to apply",
		plural(writes, "write"), plural(plan.create, "create"), plural(plan.update, "update"), plural(plan.del, "delete")), nil
}

func stepExport(ctx context.Context, d *demo) (string, error) {
	out, err := d.exec(ctx, nil, "backup", "--config", d.cfgPath, "--workspace", "acme")
	if err != nil {
		return "", err
	}
	d.show(splitLines(out.stdout)...)
	snap, err := d.latestBackup()
	if err != nil {
		return "", err
	}
	d.exportPath = filepath.Join(d.dir, "acme-"+snap.ShortID()+".tar.gz")
	isSummary := func(l string) bool { return strings.HasPrefix(l, "exported ") }
	exp, err := d.exec(ctx, isSummary, "export", "--config", d.cfgPath, "--workspace", "acme",
		"--snapshot", snap.ShortID(), "--output", d.exportPath)
	if err != nil {
		return "", err
	}
	d.show(exp.taken...)
	objects := 0
	man, err := export.Read(d.exportPath, func(kind, parent, key string, raw []byte) error {
		objects++
		return nil
	})
	if err != nil {
		return "", err
	}
	if man.Source != snap.ID {
		return "", fmt.Errorf("the export's manifest names snapshot %s, not %s", man.Source, snap.ID)
	}
	kinds := map[string]bool{}
	for k := range man.Counts {
		kinds[k] = true
	}
	for k := range snap.Counts {
		kinds[k] = true
	}
	for _, k := range sortedKeys(kinds) {
		if man.Counts[k] != int64(snap.Counts[k]) {
			return "", fmt.Errorf("the export counts %d %s, the snapshot %d", man.Counts[k], k, snap.Counts[k])
		}
	}
	if objects != snap.Objects {
		return "", fmt.Errorf("the export holds %d objects, the snapshot %d", objects, snap.Objects)
	}
	return fmt.Sprintf("the archive reads back against its manifest (the SHA-256 and size of each of its %s), and its %d objects and counts per kind are those of snapshot %s",
		plural(len(man.Files), "data file"), objects, snap.ShortID()), nil
}

// planThenApply runs a restore or replicate command twice, with --dry-run
// and then for real, shows the plan and the outcome, and returns the
// plan's counts and the apply's.
func planThenApply(ctx context.Context, d *demo, args []string) (planCounts, appliedCounts, error) {
	dry, err := d.exec(ctx, nil, append(args, "--dry-run")...)
	if err != nil {
		return planCounts{}, appliedCounts{}, err
	}
	d.show(capSections(splitLines(dry.stdout), 3)...)
	plan, _, err := readPlanCounts(dry.stdout)
	if err != nil {
		return planCounts{}, appliedCounts{}, err
	}
	out, err := d.exec(ctx, nil, args...)
	if err != nil {
		return planCounts{}, appliedCounts{}, err
	}
	applied, line, err := readApplied(out.stdout)
	if err != nil {
		return planCounts{}, appliedCounts{}, err
	}
	d.show(linesWith(splitLines(out.stdout), "FAILED ")...)
	d.show(line)
	return plan, applied, nil
}
