package app

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Planning reads in proportion to the selection, on both sides.
//
// From a snapshot, a restore reads the configuration whole (types, fields,
// roles, members, groups, integrations, processes: what references resolve
// through, small next to the data), then only the items and quick tasks
// restore.SourceReadsFor names: an item by its key (one lookup in the
// snapshot's index), the items a field selector matches (the type's
// collection walked, only matches kept), or a type's items whole when the
// type is restored. A replication from a snapshot reads the kinds it
// compares.
//
// From the target, the plan lists the workspace-level kinds and the
// objects of the types involved, but reads the items of a type that is
// not restored whole one by one through the get route (Scope.Items): a
// one-item plan sends a handful of requests at any workspace size. Past
// byIDLimit items of one type, listing the type's pages costs fewer
// requests than one get per item: the type is listed then, keeping only
// the items named, so that memory still follows the selection.

// byIDLimit is the number of items of one type above which the target's
// items are listed (a page holds up to 100) rather than read one by one.
const byIDLimit = 200

// getsAtOnce is how many of those gets are sent at the same time.
const getsAtOnce = 8

// snapshotSetFor reads what a restore of sels needs of a snapshot (every
// restorable object with all).
func snapshotSetFor(db *snapshot.DB, snap *snapshot.Snapshot, sels []selector.Selector, all bool) (*restore.Set, error) {
	if all {
		return snapshotSetOf(db, snap, func(string, string) bool { return true })
	}
	set, err := snapshotSetOf(db, snap, func(name, _ string) bool { return name != kind.Items && name != kind.QuickTasks })
	if err != nil {
		return nil, err
	}
	reads := restore.SourceReadsFor(set, sels)
	for _, coll := range db.Collections(snap) {
		name, parent := splitCollection(coll)
		switch {
		case name == kind.QuickTasks && reads.QuickTasks, name == kind.Items && reads.Whole[parent]:
			err = putCollection(db, snap, coll, set, nil)
		case name == kind.Items && reads.Match[parent]:
			err = putCollection(db, snap, coll, set, func(key string, raw []byte) bool {
				return selected(sels, kind.Items, parent, key, raw)
			})
		}
		if err != nil {
			return nil, err
		}
	}
	for _, slug := range slices.Sorted(maps.Keys(reads.Keys)) {
		if reads.Whole[slug] || reads.Match[slug] {
			continue
		}
		coll := snapshot.CollectionName(kind.Items, slug)
		for _, key := range reads.Keys[slug] {
			raw, ok, err := db.Lookup(snap, coll, key)
			if err != nil {
				return nil, fmt.Errorf("read %s %s: %w", coll, key, err)
			}
			if ok {
				if err := set.Put(kind.Items, slug, key, raw); err != nil {
					return nil, err
				}
			}
		}
	}
	return set, nil
}

// snapshotSetOf reads the restorable objects of a snapshot whose
// collection keep accepts (by kind and parent key).
func snapshotSetOf(db *snapshot.DB, snap *snapshot.Snapshot, keep func(name, parent string) bool) (*restore.Set, error) {
	set := restore.NewSet()
	for _, coll := range db.Collections(snap) {
		name, parent := splitCollection(coll)
		if !restorable(name) || !keep(name, parent) {
			continue
		}
		if err := putCollection(db, snap, coll, set, nil); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// putCollection puts the objects of a collection that keep accepts (nil:
// all) into set. The objects are read a chunk at a time (WalkObjects: one
// read transaction per chunk, each pack decompressed once), not one
// lookup by hash per object, which decoded a pack's header for every
// object and cost most of a type plan's reading.
func putCollection(db *snapshot.DB, snap *snapshot.Snapshot, coll string, set *restore.Set, keep func(key string, raw []byte) bool) error {
	name, parent := splitCollection(coll)
	return db.WalkObjects(snap, coll, func(key string, raw []byte) error {
		if keep != nil && !keep(key, raw) {
			return nil
		}
		return set.PutOwned(name, parent, key, raw)
	})
}

// readItemsByID adds to set (errors unwrapped: liveSet names the workspace) the target items scope names by id: with a
// get per item, or for a type with more than byIDLimit of them, by
// listing the type's items and keeping those. An item the target lacks
// (404) is left out.
func (s *Service) readItemsByID(ctx context.Context, client *api.Client, ws *config.Workspace, scope restore.Scope, set *restore.Set) error {
	listed := map[string]map[string]bool{} // type slug -> ids kept from its listing
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(getsAtOnce) // the client's limiter caps the requests in flight
	for _, ref := range scope.ItemsByID() {
		slug, id := ref[0], ref[1]
		if len(scope.Items[slug]) > byIDLimit {
			if listed[slug] == nil {
				listed[slug] = map[string]bool{}
			}
			listed[slug][id] = true
			continue
		}
		g.Go(func() error {
			o, found, err := restore.GetItem(gctx, client, ws.Slug, slug, id)
			if !found {
				return err
			}
			return set.Put(kind.Items, slug, o.Key, o.Raw)
		})
	}
	if err := g.Wait(); err != nil || len(listed) == 0 {
		return err
	}
	sink := keptItems{set: set, keep: listed}
	_, err := backup.Run(ctx, client, sink, backup.Options{
		Workspace: ws.Slug,
		Filter: func(name, typeSlug string) bool {
			return name == kind.Types || (name == kind.Items && listed[typeSlug] != nil)
		},
		Logger: s.log.With("workspace", ws.Name),
	})
	return err
}

// keptItems is a backup sink that puts into set only the items keep names.
type keptItems struct {
	set  *restore.Set
	keep map[string]map[string]bool
}

func (k keptItems) Put(name, parent, key string, raw []byte) error {
	if name != kind.Items || !k.keep[parent][key] {
		return nil
	}
	return k.set.Put(name, parent, key, raw)
}

func (k keptItems) Fail(name string, err error) { k.set.Fail(name, err) }
