package app

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Object is one stored object of a snapshot, as the API returned it.
type Object struct {
	Kind, Parent, Key string
	Raw               []byte
}

// ObjectsRequest picks objects of a snapshot.
type ObjectsRequest struct {
	Snapshot  *snapshot.Snapshot
	Selectors []selector.Selector // none: every object
}

// Objects calls fn with each selected object of a snapshot, in the order of
// the kind table. A request with one selector that names one object gets
// that object alone (single is true), looked up by key where it can be.
// Nothing selected is an error that says why (a kind the snapshot could not
// read, or nothing matches).
func (s *Service) Objects(req ObjectsRequest, fn func(o Object, single bool) error) error {
	db, err := s.needDB()
	if err != nil {
		return err
	}
	snap, sels := req.Snapshot, req.Selectors
	single := len(sels) == 1 && sels[0].Single()
	found := 0
	if single {
		raw, err := findObject(db, snap, sels[0])
		if err != nil {
			return err
		}
		if raw != nil {
			return fn(Object{Kind: sels[0].Kind, Parent: sels[0].Parent, Key: sels[0].Value, Raw: raw}, true)
		}
	}
	for _, coll := range collectionsInKindOrder(db.Collections(snap)) {
		if single {
			break // looked up above, and not there
		}
		kind, parent := splitCollection(coll)
		if !wanted(sels, kind, parent) {
			continue
		}
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", coll, key, err)
			}
			if !selected(sels, kind, parent, key, raw) {
				return nil
			}
			found++
			return fn(Object{Kind: kind, Parent: parent, Key: key, Raw: raw}, false)
		})
		if err != nil {
			return err
		}
	}
	if found > 0 {
		return nil
	}
	for _, sel := range sels {
		for _, k := range sel.Kinds() {
			if e := snap.Errors[k]; e != "" {
				return fmt.Errorf("snapshot %s of %s is partial: %s could not be read when it was taken: %s", snap.ShortID(), snap.Workspace, k, e)
			}
		}
	}
	what := "no objects"
	if len(sels) > 0 {
		var texts []string
		for _, s := range sels {
			texts = append(texts, s.Text)
		}
		what = "nothing matches " + strings.Join(texts, " ")
	}
	return fmt.Errorf("snapshot %s of %s: %s", snap.ShortID(), snap.Workspace, what)
}

// splitCollection splits a collection name into its kind and parent key.
func splitCollection(coll string) (kind, parent string) {
	kind = snapshot.KindOf(coll)
	return kind, strings.TrimPrefix(strings.TrimPrefix(coll, kind), "/")
}

var errFound = errors.New("found")

// findObject returns the raw JSON of the object sel names in snap, or nil.
func findObject(db *snapshot.DB, snap *snapshot.Snapshot, sel selector.Selector) ([]byte, error) {
	kind := sel.Kind
	if sel.Field == "" { // named by key: type:SLUG, item:SLUG/ID, integration:ID ...
		raw, ok, err := db.Lookup(snap, snapshot.CollectionName(kind, sel.Parent), sel.Value)
		if err != nil || !ok {
			return nil, err
		}
		return raw, nil
	}
	var found []byte
	for coll := range snap.Collections {
		k, parent := splitCollection(coll)
		if k != kind || (sel.Parent != "" && parent != sel.Parent) {
			continue
		}
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return err
			}
			if sel.Match(kind, parent, key, raw) {
				found = raw
				return errFound
			}
			return nil
		})
		if errors.Is(err, errFound) {
			return found, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// collectionsInKindOrder sorts collection names by the kind table's order,
// then by name, so that a type comes before its fields and items.
func collectionsInKindOrder(colls []string) []string {
	order := map[string]int{}
	for i, k := range kind.All() {
		order[string(k.Name)] = i
	}
	out := append([]string(nil), colls...)
	sort.SliceStable(out, func(i, j int) bool {
		ki, kj := order[snapshot.KindOf(out[i])], order[snapshot.KindOf(out[j])]
		if ki != kj {
			return ki < kj
		}
		return out[i] < out[j]
	})
	return out
}

func wanted(sels []selector.Selector, kind, parent string) bool {
	if len(sels) == 0 {
		return true
	}
	for _, s := range sels {
		for _, k := range s.Kinds() {
			if k == kind && (s.Parent == "" || s.Parent == parent) {
				return true
			}
		}
	}
	return false
}

func selected(sels []selector.Selector, kind, parent, key string, raw []byte) bool {
	if len(sels) == 0 {
		return true
	}
	for _, s := range sels {
		if s.Match(kind, parent, key, raw) {
			return true
		}
	}
	return false
}
