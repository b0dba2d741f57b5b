package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Planned is a plan with what applying it needs: the target workspace,
// its client and the id map.
type Planned struct {
	Plan *restore.Plan
	// Compared is how many objects of the target the plan was built
	// against (what a replication's max_change is a share of).
	Compared int
	// Warnings are what a person should know of the source (a partial
	// snapshot's kinds that cannot be restored from it).
	Warnings []string

	target *config.Workspace
	client *api.Client
	ids    *snapshot.IDMap // nil without a database
}

// Target returns the workspace the plan writes into.
func (p *Planned) Target() *config.Workspace { return p.target }

// PausedUntil is when the server's Retry-After lets the target's requests
// go again (zero or past: they are not held).
func (p *Planned) PausedUntil() time.Time {
	if p.client == nil {
		return time.Time{}
	}
	return p.client.PausedUntil()
}

// Apply applies a plan: the steps of one level at a time, each create's
// new id recorded at once so that an interrupted or repeated apply never
// creates an object twice. It returns the results per status;
// restore.ErrApplyFailed (wrapped) when some steps failed.
func (s *Service) Apply(ctx context.Context, p *Planned, progress Progress) (restore.Summary, error) {
	if p.Plan.Empty() {
		return restore.Summary{}, nil
	}
	if p.ids == nil {
		return nil, fmt.Errorf("apply into %s: %w: the id map that keeps an apply from creating twice lives there", p.target.Name, ErrNoDatabase)
	}
	cfg := s.Config()
	env := cfg.Environments[p.target.Environment]
	secrets, err := secretsOf(cfg, p.target)
	if err != nil {
		return nil, err
	}
	progress = orNoProgress(progress)
	eng := &restore.Engine{
		Client: p.client, Workspace: p.target.Slug, IDs: p.ids,
		Secrets:     secrets,
		Concurrency: env.Concurrency, Log: s.log.With("workspace", p.target.Name),
		Progress: func(done, total int) {
			progress.Expect(int64(total), nil, false) // the plan's steps: the total and the time left
			progress.Update("steps", int64(done))
		},
	}
	sum, err := eng.Apply(ctx, p.Plan)
	s.log.Info("apply finished", "operation", p.Plan.Operation, "target", p.Plan.Target,
		"done", sum[restore.StatusDone], "failed", sum[restore.StatusFailed], "manual", sum[restore.StatusManual])
	for _, line := range restore.RefusedFieldLines(p.Plan) {
		s.log.Info(line, "operation", p.Plan.Operation, "target", p.Plan.Target)
	}
	var refused *restore.AccessError
	if errors.As(err, &refused) {
		return sum, refusedKey(p, p.target.Environment, refused)
	}
	if errors.Is(err, restore.ErrApplyFailed) {
		return sum, fmt.Errorf("%s into %s: %w; run the same command again to retry them (nothing is created twice)", p.Plan.Operation, p.Plan.Target, err)
	}
	return sum, err
}

// refusedKey explains an apply the server stopped by refusing the API key:
// which scope it lacks, and that sending the rest with this key cannot
// succeed (no retry is suggested). The key itself is never named.
func refusedKey(p *Planned, envName string, ae *restore.AccessError) error {
	why := fmt.Sprintf("the API key was refused (401): %v", ae.Err)
	if ae.Status == 403 {
		// The scope is the one the server named, or the one the refused
		// request's method needs (a group's membership update removes
		// users with DELETE): never guessed from the step's action.
		why = fmt.Sprintf("the API key was refused for this workspace (403: %v)", ae.Err)
		if ae.Scope != "" {
			why = fmt.Sprintf("the API key lacks the %s scope for this workspace (403: %v)", ae.Scope, ae.Err)
		}
		if strings.Contains(ae.Err.Error(), "not authorized for this workspace") {
			why = fmt.Sprintf("the API key has no access to workspace %s (403: %v)", p.target.Slug, ae.Err)
		}
	}
	return &FailureError{
		Err: fmt.Errorf("%s into %s stopped: %s; %d writes were not sent",
			p.Plan.Operation, p.Plan.Target, why, ae.NotSent),
		Hint: fmt.Sprintf("check api_key_file of environment %s: the key must be accepted and may write to workspace %s (enspace-sync doctor shows its scopes)", envName, p.target.Slug),
	}
}

// LoadPlan reads a plan saved by SavePlan and reads its target again:
// when anything in it changed since the plan was made, it fails with
// ErrTargetChanged, so that a plan reviewed yesterday never writes over
// today's changes.
func (s *Service) LoadPlan(ctx context.Context, path string) (*Planned, error) {
	plan, err := restore.ReadPlan(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, absentf("enspace-sync apply --help", "no plan file %s", path)
	}
	if err != nil {
		return nil, err
	}
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	target, err := s.Workspace(plan.Target, "apply")
	if err != nil {
		return nil, err
	}
	ids, err := db.IDMap(target.Name, plan.Source)
	if err != nil {
		return nil, err
	}
	client, err := s.Client(target)
	if err != nil {
		return nil, err
	}
	live, err := s.liveSet(ctx, client, target, plan.Scope)
	if err != nil {
		return nil, err
	}
	if !restore.SameFingerprint(live, plan.Fingerprint) {
		return nil, fmt.Errorf("%w (%s was read again and differs from what %s was planned against): plan again",
			ErrTargetChanged, target.Name, path)
	}
	return &Planned{Plan: plan, Compared: live.Len(), target: target, client: client, ids: ids}, nil
}

// SavePlan writes a plan file atomically: a temporary file, synced, then
// renamed.
func SavePlan(path string, p *restore.Plan) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".plan-*")
	if err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	defer os.Remove(f.Name())
	err = restore.WritePlan(f, p)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}
