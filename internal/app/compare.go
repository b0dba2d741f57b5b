package app

import (
	"fmt"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Compare computes the changes from snapshot a to b of one workspace;
// kinds, if not empty, limits the comparison to those kinds.
func (s *Service) Compare(a, b *snapshot.Snapshot, kinds []string) (*diff.Result, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	if a.Workspace != b.Workspace {
		return nil, &InputError{Msg: fmt.Sprintf("%s is a snapshot of %s and %s one of %s: diff compares one workspace over time",
			a.ShortID(), a.Workspace, b.ShortID(), b.Workspace),
			Hint: fmt.Sprintf("to see how %s differs from %s, plan a replication: enspace-sync replicate --from %s --to %s --dry-run",
				b.Workspace, a.Workspace, a.Workspace, b.Workspace)}
	}
	for _, k := range kinds {
		if _, err := kind.ByName(k); err != nil {
			return nil, inputf("enspace-sync diff --help", "--kind: %s", err)
		}
	}
	return compareSnapshots(db, a, b, kinds)
}

// compareSnapshots computes the changes from a to b, reading only the
// collections whose trees differ, and within them only the chunks that
// differ. kinds, if not empty, limits the comparison to those kinds.
func compareSnapshots(db *snapshot.DB, a, b *snapshot.Snapshot, kinds []string) (*diff.Result, error) {
	want := func(kind string) bool { return wantKind(kinds, kind) }
	seen := map[string]bool{}
	var colls []string
	for _, s := range []*snapshot.Snapshot{a, b} {
		for c := range s.Collections {
			if !seen[c] && want(snapshot.KindOf(c)) {
				seen[c] = true
				colls = append(colls, c)
			}
		}
	}
	sort.Strings(colls)
	// Every differing object is read first, so that objects re-created
	// under a new id (by a restore) pair up with their old selves: the
	// reading costs what the diff holds, not the workspace's size.
	var changes []restore.Change
	for _, coll := range colls {
		if a.Collections[coll] == b.Collections[coll] {
			continue // same tree: nothing to read
		}
		kind := snapshot.KindOf(coll)
		parent := strings.TrimPrefix(strings.TrimPrefix(coll, kind), "/")
		err := db.DiffCollection(a, b, coll, func(key string, old, new snapshot.Hash) error {
			c := restore.Change{Kind: kind, Parent: parent, Key: key}
			if old.Unknown() || new.Unknown() {
				// Its content in one snapshot is not known: never report
				// it as changed.
				return fmt.Errorf("%s %q: its blob is damaged in a snapshot and its content unknown; `enspace-sync verify --repair` and the next backup heal it: %w",
					coll, key, snapshot.ErrCorrupt)
			}
			var err error
			if !old.IsZero() {
				if c.Old, err = db.Blob(old); err != nil {
					return err
				}
			}
			if !new.IsZero() {
				if c.New, err = db.Blob(new); err != nil {
					return err
				}
			}
			changes = append(changes, c)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var ids func(kind, id string) (string, bool)
	if a.Workspace == b.Workspace {
		if m, err := db.IDMap(a.Workspace, a.Workspace); err == nil && m.Len() > 0 {
			ids = m.Target
		}
	}
	changes = restore.Rekey(changes, ids)
	pairs := func(yield func(diff.Pair) bool) {
		for _, c := range changes {
			if !yield(diff.Pair{Kind: c.Kind, Parent: c.Parent, Key: c.Key, Old: c.Old, New: c.New}) {
				return
			}
		}
	}
	unknownOld, unknownNew := filterKinds(a.Errors, want), filterKinds(b.Errors, want)
	// A kind one snapshot did not back up at all (the config excluded it
	// then) is not known there: never report its objects as removed.
	for kind := range b.Counts {
		if _, ok := a.Counts[kind]; !ok && len(a.Counts) > 0 && want(kind) {
			unknownOld[kind] = "not backed up in snapshot " + a.ShortID()
		}
	}
	for kind := range a.Counts {
		if _, ok := b.Counts[kind]; !ok && len(b.Counts) > 0 && want(kind) {
			unknownNew[kind] = "not backed up in snapshot " + b.ShortID()
		}
	}
	return diff.Compute(diff.Input{Kinds: diff.Kinds(), Pairs: pairs, UnknownOld: unknownOld, UnknownNew: unknownNew})
}

// changesOf is what a snapshot records of the changes res found since prev.
func changesOf(prev *snapshot.Snapshot, res *diff.Result) *snapshot.Changes {
	c := &snapshot.Changes{Since: prev.ID, Summary: map[string]snapshot.ChangeCounts{},
		Noise: map[string]snapshot.NoiseCounts{}, Unknown: res.Unknown}
	for k, n := range res.Summary {
		c.Summary[k] = snapshot.ChangeCounts{Added: n.Added, Removed: n.Removed, Changed: n.Changed, Unknown: n.Unknown}
	}
	for k, n := range res.Noise {
		c.Noise[k] = snapshot.NoiseCounts{ServerOnly: n.ServerOnly, Equivalent: n.Equivalent, Volatile: n.Volatile}
	}
	if c.Unknown == nil {
		c.Unknown = map[string]string{}
	}
	return c
}

func wantKind(kinds []string, kind string) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func filterKinds(m map[string]string, want func(string) bool) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if want(k) {
			out[k] = v
		}
	}
	return out
}
