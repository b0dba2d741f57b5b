package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// restorable reports whether objects of a kind can be brought back: not
// audit kinds, not the workspace's single objects.
func restorable(name kind.Name) bool {
	k := kind.Of(name)
	return k != nil && k.Restorable() && !k.Singleton
}

// exportSet reads every restorable object of an export (a directory or a
// .tar.gz or .tar.zst written by export) after checking it against its manifest.
func exportSet(path string) (*restore.Set, *export.Manifest, error) {
	set := restore.NewSet()
	man, err := export.Read(path, func(name, parent, key string, raw []byte) error {
		if !restorable(name) {
			return nil
		}
		return set.Put(name, parent, key, raw)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the export %s: %w", path, err)
	}
	return set, man, nil
}

// liveSet reads the objects of a live workspace that scope names, with the
// same walk as a backup. A kind it cannot read fails it: a plan against a
// partly read target would create what exists. Kinds the API cannot
// write, with nothing writable below them (forms, schedule tasks; see
// readOnlyLeaf), are the exception: one the workspace excludes is not
// read, and one that fails to read is left empty with a warning, so that
// its objects of the source become manual steps instead of the whole plan
// being refused (no create or update is ever planned for them).
func (s *Service) liveSet(ctx context.Context, client *api.Client, ws *config.Workspace, scope restore.Scope) (*restore.Set, error) {
	return s.liveSetBeside(ctx, client, ws, scope, nil)
}

// liveSetBeside is liveSet for the target of a plan whose source is
// source (nil: none): a target object byte for byte the same as the
// source's object of the same kind, parent and key shares its bytes
// (restore.NewSetBeside), so that an unchanged workspace is held once,
// not twice.
func (s *Service) liveSetBeside(ctx context.Context, client *api.Client, ws *config.Workspace, scope restore.Scope, source *restore.Set) (*restore.Set, error) {
	set := restore.NewSetBeside(source)
	log := s.log.With("workspace", ws.Name)
	sink := &planSink{Set: set, unread: map[string]string{}}
	_, err := backup.Run(ctx, client, sink, backup.Options{
		Workspace: ws.Slug,
		Filter: func(name, typeSlug string) bool {
			if k := kind.Of(name); k != nil && readOnlyLeaf(k) && !ws.Includes(name, typeSlug) {
				return false // excluded, and never written: not needed to plan
			}
			return scope.Includes(name, typeSlug)
		},
		Logger: log,
	})
	if err == nil {
		err = s.readItemsByID(ctx, client, ws, scope, set)
	}
	if err != nil {
		return nil, fmt.Errorf("read workspace %s: %w", ws.Name, accessHint(err, ws))
	}
	if failed := set.Failed(); len(failed) > 0 {
		kinds := slices.Sorted(maps.Keys(failed))
		return nil, fmt.Errorf("read workspace %s: %s could not be read (%s); nothing was planned", ws.Name,
			strings.Join(kinds, ", "), failed[kinds[0]])
	}
	for _, name := range slices.Sorted(maps.Keys(sink.unread)) {
		log.Warn("a read-only kind could not be read; planning without it: its objects are manual steps, which may name objects the workspace has",
			"kind", name, "err", sink.unread[name],
			"hint", fmt.Sprintf("exclude the kind (exclude: [%s]) or, if the server has no such route, switch it off (routes: {%s: none})", name, kind.Of(name).List))
	}
	return set, nil
}

// planSink is the restore.Set of liveSet, which keeps the failures of the
// kinds the API cannot write (and nothing writable lives under) apart.
type planSink struct {
	*restore.Set
	mu     sync.Mutex
	unread map[string]string
}

func (l *planSink) Fail(name string, err error) {
	if k := kind.Of(name); k != nil && readOnlyLeaf(k) {
		l.mu.Lock()
		if _, ok := l.unread[name]; !ok {
			l.unread[name] = err.Error()
		}
		l.mu.Unlock()
		return
	}
	l.Set.Fail(name, err)
}

// readOnlyLeaf reports whether a plan can go without reading k: a kind
// the API cannot write with nothing below it (kind.ReadOnlyLeaf), but
// not a singleton (stats): a plan reads those whole or not at all.
func readOnlyLeaf(k *kind.Kind) bool { return !k.Singleton && k.ReadOnlyLeaf() }

// envSecrets are the integration secrets of the target's environment.
type envSecrets struct {
	name string
	env  *config.Environment
}

func (s envSecrets) Names(provider string) []string {
	return slices.Sorted(maps.Keys(s.env.IntegrationSecrets(provider)))
}

func (s envSecrets) Value(provider, key string) (string, bool) {
	v, ok := s.env.IntegrationSecrets(provider)[key]
	return v.Reveal(), ok && v.Reveal() != ""
}

func (s envSecrets) Where(provider string) string {
	return "environments." + s.name + ".secrets." + provider
}

// secretsOf returns the integration secrets of ws's environment, or the
// *SecretError of one that could not be read: a plan or an apply into the
// environment needs them all.
func secretsOf(cfg *config.Config, ws *config.Workspace) (envSecrets, error) {
	env := cfg.Environments[ws.Environment]
	if err := env.IntegrationSecretsErr(); err != nil {
		return envSecrets{}, &SecretError{What: "environment " + ws.Environment + " (integration secrets)", Err: err}
	}
	return envSecrets{name: ws.Environment, env: env}, nil
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

// snapshotSource reads a snapshot of a workspace for planning, what read
// takes of it, with the reference a plan shows.
func (s *Service) snapshotSource(workspace, ref string, read func(*snapshot.DB, *snapshot.Snapshot) (*restore.Set, error)) (*restore.Set, *snapshot.Snapshot, string, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, nil, "", err
	}
	snap, err := s.ResolveSnapshot(workspace, ref)
	if err != nil {
		return nil, nil, "", err
	}
	if snap.Workspace != workspace {
		return nil, nil, "", fmt.Errorf("snapshot %s is of workspace %s, not %s", snap.ShortID(), snap.Workspace, workspace)
	}
	set, err := read(db, snap)
	if err != nil {
		return nil, nil, "", err
	}
	return set, snap, "snapshot " + snap.ShortID() + " of " + snap.StartedAt.Local().Format("2006-01-02 15:04"), nil
}
