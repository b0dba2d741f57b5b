package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// snapshotSet reads every object of a snapshot into memory.
func snapshotSet(db *snapshot.DB, snap *snapshot.Snapshot) (*restore.Set, error) {
	set := restore.NewSet()
	for _, coll := range db.Collections(snap) {
		kind := snapshot.KindOf(coll)
		parent := strings.TrimPrefix(strings.TrimPrefix(coll, kind), "/")
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", coll, key, err)
			}
			if k, err := api.KindByName(kind); err != nil || k.Class == api.Audit || k.Singleton {
				return nil
			}
			return set.Put(kind, parent, key, raw)
		})
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

// exportSet reads every restorable object of an export (a directory or a
// .tar.gz written by export) after checking it against its manifest.
func exportSet(path string) (*restore.Set, *export.Manifest, error) {
	set := restore.NewSet()
	man, err := export.Read(path, func(kind, parent, key string, raw []byte) error {
		if k, err := api.KindByName(kind); err != nil || k.Class == api.Audit || k.Singleton {
			return nil
		}
		return set.Put(kind, parent, key, raw)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the export %s: %w", path, err)
	}
	return set, man, nil
}

// liveSet reads the objects of a live workspace that scope names, with the
// same walk as a backup.
func liveSet(ctx context.Context, m *Main, client *api.Client, ws *config.Workspace, scope restore.Scope) (*restore.Set, error) {
	set := restore.NewSet()
	_, err := backup.Run(ctx, client, set, backup.Options{
		Workspace: ws.Slug,
		Filter:    scope.Includes,
		Logger:    m.log.With("workspace", ws.Name),
	})
	if errors.Is(err, backup.ErrAccess) {
		err = fmt.Errorf("%w (check the API key of environment %s and its access to workspace %q)", err, ws.Environment, ws.Slug)
	}
	if err != nil {
		return nil, fmt.Errorf("read workspace %s: %w", ws.Name, err)
	}
	if failed := set.Failed(); len(failed) > 0 {
		kinds := sortedKeys(failed)
		return nil, fmt.Errorf("read workspace %s: %s could not be read (%s); nothing was planned", ws.Name,
			strings.Join(kinds, ", "), failed[kinds[0]])
	}
	return set, nil
}

// envSecrets are the integration secrets of the target's environment.
type envSecrets struct {
	name string
	env  *config.Environment
}

func (s envSecrets) Names(provider string) []string {
	return sortedKeys(s.env.IntegrationSecrets(provider))
}

func (s envSecrets) Value(provider, key string) (string, bool) {
	v, ok := s.env.IntegrationSecrets(provider)[key]
	return v.Reveal(), ok && v.Reveal() != ""
}

func (s envSecrets) Where(provider string) string {
	return "environments." + s.name + ".secrets." + provider
}

// integrationEnvironment is what data.environment becomes in the target.
func integrationEnvironment(cfg *config.Config, ws *config.Workspace) string {
	env := cfg.Environments[ws.Environment]
	if env != nil && env.IntegrationEnvironment != "" {
		return env.IntegrationEnvironment
	}
	switch ws.Environment {
	case "stage", "production":
		return ws.Environment
	}
	return ""
}

// sameWorkspace reports whether two configured workspaces are one
// workspace of the API.
func sameWorkspace(cfg *config.Config, a, b *config.Workspace) bool {
	ea, eb := cfg.Environments[a.Environment], cfg.Environments[b.Environment]
	return a.Slug == b.Slug && ea != nil && eb != nil && strings.TrimRight(ea.BaseURL, "/") == strings.TrimRight(eb.BaseURL, "/")
}

// planDB opens the database for planning and applying. A dry run opens it
// read-only, and plans without an id map when there is no database yet.
func planDB(m *Main, cfg *config.Config, dryRun bool, command string) (*snapshot.DB, error) {
	if dryRun {
		if _, err := os.Stat(cfg.Database); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	return m.openDB(cfg, dryRun, command)
}

// idsFor loads the id map of target from source; with no database, an
// empty one.
func idsFor(db *snapshot.DB, target, source string) (restore.IDs, *snapshot.IDMap, error) {
	if db == nil {
		return noIDs{}, nil, nil
	}
	ids, err := db.IDMap(target, source)
	if err != nil {
		return nil, nil, err
	}
	return ids, ids, nil
}

// noIDs is an empty id map.
type noIDs struct{}

func (noIDs) Target(string, string) (string, bool) { return "", false }
func (noIDs) Pending(string, string) bool          { return false }

// planRun is what restore, replicate and apply share: printing a plan,
// saving it, applying it.
type planRun struct {
	m       *Main
	inv     *invocation
	target  *config.Workspace
	client  *api.Client
	ids     *snapshot.IDMap
	dryRun  bool
	planOut string
}

// finish saves, prints and (unless a dry run) applies the plan.
func (r *planRun) finish(ctx context.Context, p *restore.Plan) error {
	if r.planOut != "" {
		if err := savePlan(r.planOut, p); err != nil {
			return err
		}
	}
	if r.dryRun || r.planOut != "" || p.Empty() {
		if err := r.print(p, nil); err != nil {
			return err
		}
		if r.planOut != "" && !r.inv.g.asJSON {
			fmt.Fprintf(r.m.Stderr, "Plan saved to %s; apply it with: enspace-sync apply %s\n", r.planOut, r.planOut)
		}
		return nil
	}
	if !r.inv.g.asJSON {
		if err := restore.WriteText(r.m.Stdout, p); err != nil {
			return err
		}
		fmt.Fprintln(r.m.Stdout)
	}
	return r.apply(ctx, p)
}

// apply runs the engine and prints the results.
func (r *planRun) apply(ctx context.Context, p *restore.Plan) error {
	env := r.inv.cfg.Environments[r.target.Environment]
	progress := newProgress(r.m, r.target.Name)
	eng := &restore.Engine{
		Client: r.client, Workspace: r.target.Slug, IDs: r.ids,
		Secrets:     envSecrets{name: r.target.Environment, env: env},
		Concurrency: env.Concurrency, Log: r.m.log.With("workspace", r.target.Name),
		Progress: func(done, total int) { progress.update("steps", int64(done)) },
	}
	sum, err := eng.Apply(ctx, p)
	progress.done()
	r.m.log.Info("apply finished", "operation", p.Operation, "target", p.Target,
		"done", sum[restore.StatusDone], "failed", sum[restore.StatusFailed], "manual", sum[restore.StatusManual])
	if perr := r.print(p, sum); perr != nil && err == nil {
		err = perr
	}
	if errors.Is(err, restore.ErrApplyFailed) {
		return withExit(ExitPartial, fmt.Errorf("%s into %s: %w; run the same command again to retry them (nothing is created twice)", p.Operation, p.Target, err))
	}
	return err
}

// planJSON is the --json output: the plan with counts and, after an
// apply, the results.
type planJSON struct {
	*restore.Plan
	Actions map[restore.Action]int `json:"actions"`
	Results restore.Summary        `json:"results,omitempty"`
}

func (r *planRun) print(p *restore.Plan, sum restore.Summary) error {
	if r.inv.g.asJSON {
		enc := json.NewEncoder(r.m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(planJSON{Plan: p, Actions: p.Counts(), Results: sum})
	}
	if sum == nil {
		return restore.WriteText(r.m.Stdout, p)
	}
	for _, s := range p.Steps {
		if s.Result != nil && s.Result.Status == restore.StatusFailed {
			fmt.Fprintf(r.m.Stdout, "FAILED %s %s %s: %s\n", s.Action, s.Kind, s.Key, s.Result.Error)
		}
	}
	return restore.WriteSummary(r.m.Stdout, sum)
}

// savePlan writes a plan file atomically.
func savePlan(path string, p *restore.Plan) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".plan-*")
	if err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	defer os.Remove(f.Name())
	if err := restore.WritePlan(f, p); err != nil {
		f.Close()
		return fmt.Errorf("save the plan: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save the plan: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}
