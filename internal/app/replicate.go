package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// ReplicationRequest says what to copy from which workspace to which.
type ReplicationRequest struct {
	From, To     string   // workspaces of the config
	Only         []string // compare only these kinds (none: the defaults)
	IncludeData  bool     // also items, members, group membership and quick tasks
	Prune        bool     // also delete configuration objects the source lacks
	FromSnapshot string   // read the source from this snapshot of From ("" reads it live)
}

// ReplicationKinds returns the kinds a replication compares: the
// configuration kinds (and with includeData the data kinds), or the kinds
// only names, with types added when a kind below types is named.
func ReplicationKinds(only []string, includeData bool) ([]string, error) {
	if len(only) == 0 {
		return kind.Replicated(includeData), nil
	}
	var picked []string
	for _, name := range only {
		k, err := kind.ByName(name)
		if err != nil {
			return nil, inputf("enspace-sync replicate --help", "--only: %v", err)
		}
		if !slices.Contains(restore.PlannedKinds(), string(k.Name)) {
			return nil, inputf("enspace-sync replicate --help", "--only: %s cannot be replicated", k.Name)
		}
		picked = append(picked, string(k.Name))
	}
	if !slices.Contains(picked, kind.Types) {
		for _, name := range picked {
			if kind.Under(name, kind.Types) {
				picked = append(picked, kind.Types)
				break
			}
		}
	}
	return picked, nil
}

// PlanReplication reads both sides and builds the plan.
func (s *Service) PlanReplication(ctx context.Context, req ReplicationRequest) (*Planned, error) {
	if req.From == "" || req.To == "" {
		return nil, inputf("enspace-sync replicate --help", "--from and --to are required")
	}
	cfg := s.Config()
	source, err := s.Workspace(req.From, "replicate --from")
	if err != nil {
		return nil, err
	}
	target, err := s.Workspace(req.To, "replicate --to")
	if err != nil {
		return nil, err
	}
	if source.Name == target.Name || sameWorkspace(cfg, source, target) {
		return nil, inputf("enspace-sync replicate --help", "--from and --to are the same workspace")
	}
	kinds, err := ReplicationKinds(req.Only, req.IncludeData)
	if err != nil {
		return nil, err
	}
	sel := restore.SelectKinds(kinds)
	// The target's key and secret files before either side is read: one
	// that cannot be read fails the plan without its requests.
	client, err := s.Client(target)
	if err != nil {
		return nil, err
	}
	secrets, err := secretsOf(cfg, target)
	if err != nil {
		return nil, err
	}
	// Both sides are read whole but for items and quick tasks, which only
	// data needs (nothing references a quick task): the references of
	// tasks and groups resolve through members and roles.
	scope := restore.Scope{}
	for _, k := range restore.PlannedKinds() {
		if (k != kind.Items && k != kind.QuickTasks) || slices.Contains(kinds, k) {
			scope.Kinds = append(scope.Kinds, k)
		}
	}
	var set *restore.Set
	ref := "live"
	if req.FromSnapshot != "" {
		if s.db == nil {
			return nil, fmt.Errorf("no database at %s: --from-snapshot needs a backup of %s", cfg.Database, source.Name)
		}
		read := func(db *snapshot.DB, snap *snapshot.Snapshot) (*restore.Set, error) {
			return snapshotSetOf(db, snap, func(name, _ string) bool { return slices.Contains(scope.Kinds, name) })
		}
		if set, _, ref, err = s.snapshotSource(source.Name, req.FromSnapshot, read); err != nil {
			return nil, err
		}
	} else {
		sc, err := s.Client(source)
		if err != nil {
			return nil, err
		}
		if set, err = s.liveSet(ctx, sc, source, scope); err != nil {
			return nil, err
		}
	}
	planIDs, ids, err := idsFor(s.db, target.Name, source.Name)
	if err != nil {
		return nil, err
	}
	live, err := s.liveSetBeside(ctx, client, target, scope, set)
	if err != nil {
		return nil, err
	}
	var pruneKinds []string
	for _, k := range kind.Prunable() {
		if slices.Contains(kinds, k) {
			pruneKinds = append(pruneKinds, k)
		}
	}
	plan, err := restore.Build(restore.Input{
		Operation: "replicate", Source: set, SourceName: source.Name, SourceRef: ref,
		Target: live, TargetName: target.Name, Scope: scope, Select: sel, IDs: planIDs,
		Secrets:     secrets,
		Environment: integrationEnvironment(cfg, target),
		Prune:       req.Prune, PruneKinds: pruneKinds,
	})
	if err != nil {
		return nil, err
	}
	return &Planned{Plan: plan, Compared: live.Len(), target: target, client: client, ids: ids}, nil
}
