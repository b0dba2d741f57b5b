package demo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/selector"
)

// onlyByHand reports whether only the Enspace UI can recreate objects of
// the kind: the API cannot create them, or they live below such a kind. A
// restore lists them as manual, so they stay different after it.
func onlyByHand(name string) bool {
	k, err := kind.ByName(name)
	for err == nil {
		if !k.Writable() {
			return true
		}
		if k.Parent == "" {
			return false
		}
		k, err = kind.ByName(k.Parent)
	}
	return false
}

func stepRestore(ctx context.Context, t *tour) (string, error) {
	sel, err := selector.Parse("type:contracts")
	if err != nil {
		return "", err
	}
	args := []string{"--workspace", "acme", "--snapshot", t.snaps[0].ShortID(), "type:contracts"}
	plan, sum, err := t.planThenApply(ctx, "restore", args, func() (*app.Planned, error) {
		return t.svc.PlanRestore(ctx, app.RestoreRequest{Workspace: "acme", Snapshot: t.snaps[0].ID, Selectors: []selector.Selector{sel}})
	})
	if err != nil {
		return "", err
	}
	c := plan.Counts()
	writes := c[restore.Create] + c[restore.Update]
	if c[restore.Create] == 0 || sum[restore.StatusFailed] > 0 || sum[restore.StatusDone] != writes {
		return "", fmt.Errorf("the plan had %d writes (%d creates), the apply did %d and %d failed", writes, c[restore.Create], sum[restore.StatusDone], sum[restore.StatusFailed])
	}
	return fmt.Sprintf("%s done (%s, %s), none failed; the %s are what only the Enspace UI can recreate",
		plural(sum[restore.StatusDone], "write"), plural(c[restore.Create], "create"), plural(c[restore.Update], "update"), plural(sum[restore.StatusManual], "manual step")), nil
}

func stepThirdBackup(ctx context.Context, t *tour) (string, error) {
	res, err := t.backup(ctx)
	if err != nil {
		return "", err
	}
	first := t.snaps[0]
	d, err := t.diff(first, res.Snapshot)
	if err != nil {
		return "", err
	}
	serverOnly, err := checkRestored(d, t.noteField)
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
// other edits and the kinds only a person can write; it returns how many
// objects differ in server-assigned fields only.
func checkRestored(res *diff.Result, noteField string) (int, error) {
	edits := 0
	for _, c := range res.Changes {
		switch {
		case onlyByHand(c.Kind) && (c.Op == diff.Removed || c.Op == diff.Unknown):
		case c.Kind == kind.Fields && c.Parent == "invoices" && c.Key == noteField && c.Op == diff.Added:
			edits++
		case c.Kind == kind.Items && c.Parent == "clients" && c.Op == diff.Changed &&
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
	for k, why := range res.Unknown {
		if !onlyByHand(k) {
			return 0, fmt.Errorf("after the restore %s is unknown: %s", k, why)
		}
	}
	if edits != 4 {
		return 0, fmt.Errorf("the diff shows %d of the 4 other edits of step 3", edits)
	}
	serverOnly := 0
	for _, k := range []kind.Name{kind.Types, kind.Fields, kind.Items} {
		serverOnly += res.Noise[k].ServerOnly
	}
	if serverOnly == 0 {
		return 0, fmt.Errorf("no object differs in server-assigned fields: the restored objects should have new ids")
	}
	return serverOnly, nil
}

func stepReplicate(ctx context.Context, t *tour) (string, error) {
	req := app.ReplicationRequest{From: "acme-stage", To: "acme"}
	planIt := func() (*app.Planned, error) { return t.svc.PlanReplication(ctx, req) }
	plan, sum, err := t.planThenApply(ctx, "replicate", []string{"--from", "acme-stage", "--to", "acme"}, planIt)
	if err != nil {
		return "", err
	}
	c := plan.Counts()
	writes := c[restore.Create] + c[restore.Update] + c[restore.Delete]
	if writes == 0 || sum[restore.StatusFailed] > 0 || sum[restore.StatusDone] != writes {
		return "", fmt.Errorf("the plan had %d writes, the apply did %d and %d failed", writes, sum[restore.StatusDone], sum[restore.StatusFailed])
	}
	t.command("replicate", "--from", "acme-stage", "--to", "acme", "--dry-run")
	again, err := planIt()
	if err != nil {
		return "", err
	}
	t.show(restore.SummaryLine(again.Plan))
	c2 := again.Plan.Counts()
	if n := c2[restore.Create] + c2[restore.Update] + c2[restore.Delete]; n > 0 {
		return "", fmt.Errorf("after the apply a new plan still has %d writes", n)
	}
	return fmt.Sprintf("the %s planned (%s, %s, %s) were applied, none failed, and a new plan has nothing to apply",
		plural(writes, "write"), plural(c[restore.Create], "create"), plural(c[restore.Update], "update"), plural(c[restore.Delete], "delete")), nil
}

func stepExport(ctx context.Context, t *tour) (string, error) {
	res, err := t.backup(ctx)
	if err != nil {
		return "", err
	}
	snap := res.Snapshot
	t.exportPath = filepath.Join(t.dir, "acme-"+snap.ShortID()+".tar.gz")
	t.command("export", "--workspace", "acme", "--snapshot", snap.ShortID(), "--output", t.exportPath)
	st, err := t.svc.Export(ctx, app.ExportRequest{Workspace: "acme", Snapshot: snap.ID, Output: t.exportPath, Format: export.FormatNDJSON})
	if err != nil {
		return "", err
	}
	t.show(fmt.Sprintf("exported %d objects in %d files (%s) to %s", st.Objects, st.Files, app.HumanBytes(st.Bytes), t.exportPath))
	objects := 0
	man, err := export.Read(t.exportPath, func(kind, parent, key string, raw []byte) error {
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
	for k := range kinds {
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

// planThenApply plans twice, as the command with --dry-run and then
// without, shows the plan and the outcome, and returns the plan and the
// apply's results.
func (t *tour) planThenApply(ctx context.Context, name string, args []string, planIt func() (*app.Planned, error)) (*restore.Plan, restore.Summary, error) {
	t.command(name, append(args, "--dry-run")...)
	dry, err := planIt()
	if err != nil {
		return nil, nil, err
	}
	if err := t.showText(func(w io.Writer) error { return restore.WriteText(w, dry.Plan) },
		func(lines []string) []string { return capSections(lines, 3) }); err != nil {
		return nil, nil, err
	}
	t.command(name, append(args, "--yes")...)
	p, err := planIt()
	if err != nil {
		return nil, nil, err
	}
	sum, err := t.svc.Apply(ctx, p, nil)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range p.Plan.Steps {
		if s.Result != nil && s.Result.Status == restore.StatusFailed {
			t.show(fmt.Sprintf("FAILED %s %s %s: %s", s.Action, s.Kind, s.Key, s.Result.Error))
		}
	}
	if err := t.showText(func(w io.Writer) error { return restore.WriteSummary(w, sum) }, nil); err != nil {
		return nil, nil, err
	}
	return p.Plan, sum, nil
}
