package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// liveSink adapts an export writer to the backup walker.
type liveSink struct {
	w      *export.Writer
	kinds  []string
	failed map[string]string
}

func (s *liveSink) Put(kind, parent, key string, raw []byte) error {
	if !wantKind(s.kinds, kind) {
		return nil
	}
	return s.w.Put(kind, parent, key, raw)
}

func (s *liveSink) Fail(kind string, err error) { s.failed[kind] = err.Error() }

// exportLive walks the workspace from the API into the writer.
func (s *Service) exportLive(ctx context.Context, req *ExportRequest) (export.Stats, error) {
	ws, err := s.Workspace(req.Workspace, "--live")
	if err != nil {
		return export.Stats{}, err
	}
	client, err := s.Client(ws)
	if err != nil {
		return export.Stats{}, err
	}
	return walkLive(ctx, client, ws.Name, ws.Slug, ws.Environment, ws.Includes, req)
}

func walkLive(ctx context.Context, client *api.Client, name, slug, env string, filter backup.Filter, f *ExportRequest) (export.Stats, error) {
	w, err := newExportWriter(f, export.Options{Workspace: name, Environment: env, Source: "live"})
	if err != nil {
		return export.Stats{}, err
	}
	if f.Format == export.FormatCSV {
		// CSV columns follow field order, which must be known before a
		// type's first item: read every type's fields first.
		if err := setLiveFields(ctx, client, slug, w); err != nil {
			_ = w.Abort()
			return export.Stats{}, err
		}
	}
	sink := &liveSink{w: w, kinds: f.Kinds, failed: map[string]string{}}
	_, err = backup.Run(ctx, client, sink, backup.Options{Workspace: slug, Filter: filter, Progress: f.Progress.Update})
	if err == nil && len(sink.failed) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(sink.failed)) {
			parts = append(parts, k+": "+sink.failed[k])
		}
		err = fmt.Errorf("export incomplete, nothing written: %s", strings.Join(parts, "; "))
	}
	if err != nil {
		_ = w.Abort()
		return export.Stats{}, err
	}
	return w.Close()
}

// setLiveFields lists the types and their fields from the API and gives the
// writer each type's column order.
func setLiveFields(ctx context.Context, client *api.Client, slug string, w *export.Writer) error {
	types, fieldsKind := kind.Of(kind.Types), kind.Of(kind.Fields)
	var all []api.Object
	if _, err := client.List(ctx, types, slug, api.Object{}, func(objs []api.Object) error {
		all = append(all, objs...)
		return nil
	}); err != nil {
		return fmt.Errorf("list types for the CSV columns: %w", err)
	}
	order := newFieldOrder()
	for _, t := range all {
		if _, err := client.List(ctx, fieldsKind, slug, t, func(objs []api.Object) error {
			for _, o := range objs {
				order.add(t.Key, o.Raw)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("list fields of %s for the CSV columns: %w", t.Key, err)
		}
		if err := order.apply(w, t.Key); err != nil {
			return err
		}
	}
	return nil
}
