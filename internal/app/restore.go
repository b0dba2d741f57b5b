package app

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// RestoreRequest says what to bring back from where into which workspace.
type RestoreRequest struct {
	Workspace  string // whose snapshot is restored ("" when the config has one)
	Snapshot   string // id, prefix, latest or latest~N ("" means latest)
	FromExport string // restore from this export instead of a snapshot
	To         string // target workspace ("" means the same, or the export's)
	Selectors  []selector.Selector
	All        bool // every restorable object; Selectors is then empty
}

// PlanRestore reads the source (a snapshot or an export) and the target's
// current objects that the selection touches, and builds the plan.
func (s *Service) PlanRestore(ctx context.Context, req RestoreRequest) (*Planned, error) {
	if req.FromExport != "" && req.Snapshot != "" {
		return nil, inputf("enspace-sync restore --help", "--snapshot and --from-export name two sources: give one")
	}
	if req.FromExport != "" {
		return s.planRestoreFromExport(ctx, req)
	}
	source, err := s.Workspace(req.Workspace, "restore")
	if err != nil {
		return nil, err
	}
	target := source
	if req.To != "" {
		if target, err = s.Workspace(req.To, "restore --to"); err != nil {
			return nil, err
		}
	}
	ref := req.Snapshot
	if ref == "" {
		ref = "latest"
	}
	set, snap, sourceRef, err := s.snapshotSource(source.Name, ref, func(db *snapshot.DB, snap *snapshot.Snapshot) (*restore.Set, error) {
		return snapshotSetFor(db, snap, req.Selectors, req.All)
	})
	if err != nil {
		return nil, err
	}
	var warnings []string
	for _, kind := range slices.Sorted(maps.Keys(snap.Errors)) {
		warnings = append(warnings, fmt.Sprintf("the snapshot is partial: %s was not read and cannot be restored from it (%s)", kind, snap.Errors[kind]))
	}
	return s.planRestore(ctx, req, set, target, source.Name, sourceRef, sameWorkspace(s.Config(), source, target), warnings)
}

// planRestoreFromExport plans a restore from an export (checked against its
// manifest) into --to, or the workspace the export was taken of.
func (s *Service) planRestoreFromExport(ctx context.Context, req RestoreRequest) (*Planned, error) {
	set, man, err := exportSet(req.FromExport)
	if err != nil {
		return nil, err
	}
	name := req.To
	if name == "" {
		name = man.Workspace
	}
	target, err := s.Workspace(name, "restore --from-export")
	if err != nil {
		return nil, err
	}
	ref := fmt.Sprintf("export %s of %s", filepath.Base(req.FromExport), man.CreatedAt)
	same := man.Workspace == target.Name && man.Environment == target.Environment
	return s.planRestore(ctx, req, set, target, man.Workspace, ref, same, nil)
}

func (s *Service) planRestore(ctx context.Context, req RestoreRequest, set *restore.Set, target *config.Workspace,
	sourceName, sourceRef string, same bool, warnings []string) (*Planned, error) {
	cfg := s.Config()
	sel := restore.SelectAll()
	if !req.All {
		sel = restore.SelectRestore(set, req.Selectors)
	}
	planIDs, ids, err := idsFor(s.db, target.Name, sourceName)
	if err != nil {
		return nil, err
	}
	client, err := s.Client(target)
	if err != nil {
		return nil, err
	}
	secrets, err := secretsOf(cfg, target) // before the target is read
	if err != nil {
		return nil, err
	}
	scope := restore.ScopeFor(set, sel, req.All, planIDs, same)
	live, err := s.liveSetBeside(ctx, client, target, scope, set)
	if err != nil {
		return nil, err
	}
	plan, err := restore.Build(restore.Input{
		Operation: "restore", Source: set, SourceName: sourceName, SourceRef: sourceRef,
		Target: live, TargetName: target.Name, Scope: scope, Select: sel,
		Same: same, IDs: planIDs,
		Secrets:     secrets,
		Environment: integrationEnvironment(cfg, target),
	})
	if err != nil {
		return nil, err
	}
	if len(plan.Steps) == 0 && !req.All {
		var texts []string
		for _, sl := range req.Selectors {
			texts = append(texts, sl.Text)
		}
		return nil, fmt.Errorf("%s of %s: %w %v", sourceRef, sourceName, ErrNothingSelected, strings.Join(texts, " "))
	}
	return &Planned{Plan: plan, Compared: live.Len(), Warnings: warnings, target: target, client: client, ids: ids}, nil
}
