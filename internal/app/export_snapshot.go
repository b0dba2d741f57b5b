package app

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// exportSnapshot writes the objects of a stored snapshot.
func (s *Service) exportSnapshot(f *ExportRequest) (export.Stats, error) {
	db, err := s.needDB()
	if err != nil {
		return export.Stats{}, err
	}
	snap, err := s.ResolveSnapshot(f.Workspace, f.Snapshot)
	if err != nil {
		return export.Stats{}, err
	}
	env := ""
	if ws, err := s.Config().Workspace(snap.Workspace); err == nil {
		env = ws.Environment
	}
	w, err := newExportWriter(f, export.Options{Workspace: snap.Workspace, Environment: env, Source: snap.ID})
	if err != nil {
		return export.Stats{}, err
	}
	var total int64
	for kind, n := range snap.Counts {
		if wantKind(f.Kinds, kind) {
			total += int64(n)
		}
	}
	f.Progress.Expect(total, snap.Counts, false)
	err = writeSnapshot(db, snap, w, f.Kinds, f.Progress.Step)
	if err != nil {
		_ = w.Abort()
		return export.Stats{}, err
	}
	return w.Close()
}

// writeSnapshot writes the objects of snap of the wanted kinds; each is
// counted with step.
func writeSnapshot(db *snapshot.DB, snap *snapshot.Snapshot, w *export.Writer, kinds []string, step func(kind string)) error {
	if len(snap.Errors) > 0 {
		var failed []string
		for k := range snap.Errors {
			if wantKind(kinds, k) {
				failed = append(failed, k)
			}
		}
		if len(failed) > 0 {
			sort.Strings(failed)
			return fmt.Errorf("snapshot %s is partial: %s could not be read when it was taken; export other kinds with --kind, or another snapshot", snap.ShortID(), strings.Join(failed, ", "))
		}
	}
	var colls []string
	for _, coll := range collectionsInKindOrder(db.Collections(snap)) {
		if name, _ := splitCollection(coll); wantKind(kinds, name) || name == kind.Fields {
			colls = append(colls, coll)
		}
	}
	fields := newFieldOrder()
	return walkAhead(db, snap, colls, func(coll, key string, raw []byte) error {
		name, parent := splitCollection(coll)
		if name == kind.Fields {
			fields.add(parent, raw)
			if !wantKind(kinds, name) {
				return nil
			}
		}
		if name == kind.Items {
			if err := fields.apply(w, parent); err != nil {
				return err
			}
		}
		step(name)
		return w.Put(name, parent, key, raw)
	})
}

// fieldOrder collects each type's field slugs by position, for CSV columns.
type fieldOrder struct {
	byType  map[string][]fieldPos
	applied map[string]bool
}

type fieldPos struct {
	slug     string
	position float64
}

func newFieldOrder() *fieldOrder {
	return &fieldOrder{byType: map[string][]fieldPos{}, applied: map[string]bool{}}
}

func (o *fieldOrder) add(typeSlug string, raw []byte) {
	var f struct {
		Slug     string  `json:"slug"`
		Position float64 `json:"position"`
	}
	if json.Unmarshal(raw, &f) == nil && f.Slug != "" {
		o.byType[typeSlug] = append(o.byType[typeSlug], fieldPos{f.Slug, f.Position})
	}
}

// apply gives the writer a type's column order once, before its first item.
func (o *fieldOrder) apply(w *export.Writer, typeSlug string) error {
	if o.applied[typeSlug] {
		return nil
	}
	o.applied[typeSlug] = true
	fs := o.byType[typeSlug]
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].position < fs[j].position })
	slugs := make([]string, len(fs))
	for i, f := range fs {
		slugs[i] = f.slug
	}
	return w.SetFields(typeSlug, slugs)
}
