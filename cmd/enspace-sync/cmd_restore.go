package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "restore",
		summary: "bring objects of a snapshot back into a workspace",
		usage:   "enspace-sync restore [--config FILE] [--workspace NAME] [--snapshot SNAP | --from-export PATH] [--to NAME] [--dry-run] [--plan-out FILE] [--json] SELECTOR... | all",
		help: `Plans, then applies, the writes that bring objects of a snapshot back:
into the same workspace, or with --to into another configured workspace.
Nothing is ever deleted. Objects the target has are matched (through the id
map of earlier restores, the same id, or their slug, name or e-mail) and
updated to the snapshot's state, or skipped when equal; the others are
created, in the order their references need, and each new id is recorded
at once in the database so that a restore that is interrupted or repeated
never creates an object twice.

Selectors are those of show: type:SLUG (the type with its fields, items,
forms, flows, schedule tasks, the relation fields of other types that point
at it, the role permissions on it, and the relation values of other items
that point at its items), item:TYPE/ID, field:TYPE/SLUG, role:SLUG,
group:NAME, member:EMAIL, integration:ID, quick-task:ID, a kind name
(members), or all.

--from-export PATH restores from an export (a directory or a .tar.gz
written by "enspace-sync export" in ndjson or json format) instead of a
snapshot: every file is checked against the export's manifest first. The
target is --to, or the workspace the export was taken of.

What the API cannot write is listed as manual, with what to do in the
Enspace UI: flows, stages, forms, schedule tasks, the owner, tasks whose
stage is gone, and integrations that differ or whose secret is not in the
target environment's secrets: config.

--dry-run prints the plan and changes nothing. --plan-out FILE saves the
plan instead of applying it; "enspace-sync apply FILE" applies it later,
and refuses if the target changed in between.

Output: the plan (a summary line, then each create, update and manual step
with its reason), then the results. --json prints {"format", "version",
"operation", "source", "source_ref", "target", "scope", "fingerprint",
"steps": [{"kind", "parent", "key", "label", "action", "reason", "match",
"source_id", "target_id", "level", "changes", "body", "result": {"status",
"target_id", "error", "note"}}], "actions", "results"}.

Exit status: 0 when every step was done (or nothing was to do), 3 when
some steps failed (run the same command again: it resumes), 1 on error.

Examples:
  enspace-sync restore --snapshot latest~1 type:contracts --dry-run
  enspace-sync restore --snapshot latest~1 type:contracts
  enspace-sync restore --workspace acme member:ana@acme.com role:analyst
  enspace-sync restore --workspace acme --to acme-copy all
  enspace-sync restore --from-export acme-2026-11-27.tar.gz type:contracts`,
		run: runRestore,
	})
}

func runRestore(ctx context.Context, m *Main, args []string) error {
	var workspace, snapRef, to, planOut, fromExport *string
	var dryRun *bool
	inv, err := m.start("restore", args, -1, func(fs *flag.FlagSet) {
		workspace = fs.String("workspace", "", "the workspace whose snapshot is restored (may be left out when the config has one)")
		snapRef = fs.String("snapshot", "", "the snapshot: an id, a unique id prefix, latest or latest~N (default latest)")
		to = fs.String("to", "", "restore into this configured workspace instead (default: the same workspace)")
		dryRun = fs.Bool("dry-run", false, "print the plan; change nothing")
		fromExport = fs.String("from-export", "", "restore from this export (directory or .tar.gz) instead of a snapshot")
		planOut = fs.String("plan-out", "", "save the plan as JSON to this file instead of applying it (apply it later with enspace-sync apply FILE)")
	})
	if err != nil {
		return err
	}
	if len(inv.args) == 0 {
		return usagef("restore", "name what to restore: a selector such as type:contracts, or all")
	}
	all := len(inv.args) == 1 && inv.args[0] == "all"
	var sels []selector.Selector
	if !all {
		for _, a := range inv.args {
			s, err := selector.Parse(a)
			if err != nil {
				return usagef("restore", "%v", err)
			}
			sels = append(sels, s)
		}
	}
	if *fromExport != "" && *snapRef != "" {
		return usagef("restore", "--snapshot and --from-export name two sources: give one")
	}
	var (
		source, target *config.Workspace
		set            *restore.Set
		sourceName     string
		sourceRef      string
		same           bool
	)
	if *fromExport != "" {
		var man *export.Manifest
		if set, man, err = exportSet(*fromExport); err != nil {
			return err
		}
		sourceName = man.Workspace
		sourceRef = fmt.Sprintf("export %s of %s", filepath.Base(*fromExport), man.CreatedAt)
		name := *to
		if name == "" {
			name = man.Workspace
		}
		if target, err = pickWorkspace(inv.cfg, name, "restore --from-export"); err != nil {
			return err
		}
		same = man.Workspace == target.Name && man.Environment == target.Environment
	} else {
		if source, err = pickWorkspace(inv.cfg, *workspace, "restore"); err != nil {
			return err
		}
		target = source
		if *to != "" {
			if target, err = pickWorkspace(inv.cfg, *to, "restore --to"); err != nil {
				return err
			}
		}
		sourceName, same = source.Name, sameWorkspace(inv.cfg, source, target)
	}
	readOnly := *dryRun || *planOut != ""
	var db *snapshot.DB
	if set == nil {
		db, err = m.openDB(inv.cfg, readOnly, "restore")
	} else {
		db, err = planDB(m, inv.cfg, readOnly, "restore") // an export needs no database to plan
	}
	if err != nil {
		return err
	}
	if set == nil {
		ref := *snapRef
		if ref == "" {
			ref = "latest"
		}
		snap, err := resolveSnapshot(db, inv.cfg, source.Name, ref)
		if err != nil {
			return err
		}
		if snap.Workspace != source.Name {
			return fmt.Errorf("snapshot %s is of workspace %s, not %s", snap.ShortID(), snap.Workspace, source.Name)
		}
		for kind, e := range snap.Errors {
			m.log.Warn("the snapshot is partial: this kind was not read and cannot be restored from it", "kind", kind, "error", e)
		}
		if set, err = snapshotSet(db, snap); err != nil {
			return err
		}
		sourceRef = "snapshot " + snap.ShortID() + " of " + snap.StartedAt.Local().Format("2006-01-02 15:04")
	}
	sel := restore.SelectAll()
	if !all {
		sel = restore.SelectRestore(set, sels)
	}
	planIDs, ids, err := idsFor(db, target.Name, sourceName)
	if err != nil {
		return err
	}
	client, err := newClients(inv.cfg, m.log).For(target)
	if err != nil {
		return err
	}
	scope := restore.ScopeFor(set, sel, all)
	live, err := liveSet(ctx, m, client, target, scope)
	if err != nil {
		return err
	}
	plan, err := restore.Build(restore.Input{
		Operation: "restore", Source: set, SourceName: sourceName, SourceRef: sourceRef,
		Target: live, TargetName: target.Name, Scope: scope, Select: sel,
		Same: same, IDs: planIDs,
		Secrets:     envSecrets{name: target.Environment, env: inv.cfg.Environments[target.Environment]},
		Environment: integrationEnvironment(inv.cfg, target),
	})
	if err != nil {
		return err
	}
	if len(plan.Steps) == 0 && !all {
		return fmt.Errorf("%s of %s: nothing matches %v", sourceRef, sourceName, strings.Join(inv.args, " "))
	}
	run := &planRun{m: m, inv: inv, target: target, client: client, ids: ids, dryRun: *dryRun, planOut: *planOut}
	return run.finish(ctx, plan)
}
