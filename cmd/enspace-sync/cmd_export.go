package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "export",
		summary: "write a portable copy of a workspace, from a snapshot or live",
		usage:   "enspace-sync export [--workspace NAME] (--snapshot SNAP | --live) --output PATH [--format ndjson|json|csv] [--kind KIND]... [--quiet]",
		help: `Writes every object of a workspace, from a snapshot (--snapshot) or straight
from the API (--live, the same walker as backup), to PATH:
  PATH ending in .tar.gz   one archive
  -                        the archive on stdout
  anything else            a directory (it must not exist yet)

Layout: manifest.json (workspace, environment, source snapshot or "live",
time, format version, counts per kind, the SHA-256 of every file), one file
per kind, and items per type in items/<type slug>.ndjson. With --format csv,
items are written as items/<type slug>.csv: a header row of field slugs in
field order, one row per item, relation values as ids. Secrets are never in
an export (the API does not return them).

The output is written under a temporary name, synced and renamed: an
interrupted export never leaves anything under PATH.

--live needs no database; with --base-url, --slug and --api-key-file it
needs no config file either.

Examples:
  enspace-sync export --snapshot latest --output acme.tar.gz
  enspace-sync export --live --format csv --output acme-export/
  enspace-sync export --live --base-url https://api.leif.enspace.io --slug acme \
      --api-key-file ~/.enspace-key --output - > acme.tar.gz`,
		run: runExport,
	})
}

type exportFlags struct {
	workspace, snap, output, format string
	live, quiet                     bool
	kinds                           stringList
	baseURL, slug, keyFile          string
}

func runExport(ctx context.Context, m *Main, args []string) error {
	cmd := commands["export"]
	fs := newFlags(cmd)
	var g globalFlags
	g.register(fs)
	var f exportFlags
	fs.StringVar(&f.workspace, "workspace", "", "the workspace (may be left out when the config has one)")
	fs.StringVar(&f.snap, "snapshot", "", "export this snapshot: an id, latest or latest~N")
	fs.BoolVar(&f.live, "live", false, "export straight from the API instead of a snapshot")
	fs.StringVar(&f.output, "output", "", "where to write: a directory, a .tar.gz file, or - for stdout")
	fs.StringVar(&f.format, "format", "ndjson", "ndjson, json, or csv (csv for items; other kinds stay ndjson)")
	fs.Var(&f.kinds, "kind", "only this kind; repeat for several (default all)")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress and no summary")
	fs.StringVar(&f.baseURL, "base-url", "", "with --live and no config: the API's base URL")
	fs.StringVar(&f.slug, "slug", "", "with --base-url: the workspace slug")
	fs.StringVar(&f.keyFile, "api-key-file", "", "with --base-url: a file holding the API key (chmod 600)")
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	switch {
	case f.output == "":
		return usagef(cmd.name, "--output is required")
	case f.live == (f.snap != ""):
		return usagef(cmd.name, "give exactly one of --snapshot SNAP and --live")
	case f.format != "ndjson" && f.format != "json" && f.format != "csv":
		return usagef(cmd.name, "--format must be ndjson, json or csv, not %q", f.format)
	case f.baseURL != "" && (!f.live || f.slug == "" || f.keyFile == ""):
		return usagef(cmd.name, "--base-url needs --live, --slug and --api-key-file")
	}
	for _, k := range f.kinds {
		if _, err := api.KindByName(k); err != nil {
			return usagef(cmd.name, "--kind: %s", err)
		}
	}
	start := time.Now()
	var st export.Stats
	if f.baseURL != "" {
		st, err = exportLiveNoConfig(ctx, m, &g, &f)
	} else {
		cfg, cerr := m.loadConfig(&g)
		if cerr != nil {
			return cerr
		}
		if f.live {
			st, err = exportLive(ctx, m, cfg, &f)
		} else {
			st, err = exportSnapshot(m, cfg, &f)
		}
	}
	if err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(m.Stderr, "exported %d objects in %d files (%s) to %s in %s\n", st.Objects, st.Files, humanBytes(st.Bytes), f.output, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// newExportWriter opens the writer for --output.
func newExportWriter(m *Main, f *exportFlags, opts export.Options) (*export.Writer, error) {
	opts.Format = f.format
	switch {
	case f.output == "-":
		return export.NewTarGzStream(m.Stdout, opts)
	case strings.HasSuffix(f.output, ".tar.gz"):
		return export.NewTarGz(f.output, opts)
	default:
		return export.NewDir(strings.TrimSuffix(f.output, "/"), opts)
	}
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

// exportSnapshot writes the objects of a stored snapshot.
func exportSnapshot(m *Main, cfg *config.Config, f *exportFlags) (export.Stats, error) {
	db, err := m.openDB(cfg, true, "export")
	if err != nil {
		return export.Stats{}, err
	}
	snap, err := resolveSnapshot(db, cfg, f.workspace, f.snap)
	if err != nil {
		return export.Stats{}, err
	}
	env := ""
	if ws, err := cfg.Workspace(snap.Workspace); err == nil {
		env = ws.Environment
	}
	w, err := newExportWriter(m, f, export.Options{Workspace: snap.Workspace, Environment: env, Source: snap.ID})
	if err != nil {
		return export.Stats{}, err
	}
	err = writeSnapshot(db, snap, w, f.kinds)
	if err != nil {
		_ = w.Abort()
		return export.Stats{}, err
	}
	return w.Close()
}

func writeSnapshot(db *snapshot.DB, snap *snapshot.Snapshot, w *export.Writer, kinds []string) error {
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
	colls := collectionsInKindOrder(db.Collections(snap))
	fields := newFieldOrder()
	for _, coll := range colls {
		kind := snapshot.KindOf(coll)
		parent := strings.TrimPrefix(strings.TrimPrefix(coll, kind), "/")
		if !wantKind(kinds, kind) && kind != "fields" {
			continue
		}
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", coll, key, err)
			}
			if kind == "fields" {
				fields.add(parent, raw)
				if !wantKind(kinds, kind) {
					return nil
				}
			}
			if kind == "items" {
				if err := fields.apply(w, parent); err != nil {
					return err
				}
			}
			return w.Put(kind, parent, key, raw)
		})
		if err != nil {
			return err
		}
	}
	return nil
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
func exportLive(ctx context.Context, m *Main, cfg *config.Config, f *exportFlags) (export.Stats, error) {
	name := f.workspace
	if name == "" {
		if len(cfg.Workspaces) != 1 {
			return export.Stats{}, &usageError{msg: fmt.Sprintf("--live needs --workspace: the config has %d workspaces", len(cfg.Workspaces)), hint: "add --workspace NAME"}
		}
		name = cfg.Workspaces[0].Name
	}
	ws, err := cfg.Workspace(name)
	if err != nil {
		return export.Stats{}, &usageError{msg: err.Error(), hint: "enspace-sync config check"}
	}
	client, err := newClients(cfg, m.log).For(ws)
	if err != nil {
		return export.Stats{}, err
	}
	return walkLive(ctx, m, client, ws.Name, ws.Slug, ws.Environment, ws.Includes, f)
}

// exportLiveNoConfig is --live with --base-url, --slug and --api-key-file.
func exportLiveNoConfig(ctx context.Context, m *Main, g *globalFlags, f *exportFlags) (export.Stats, error) {
	key, err := readKeyFile(f.keyFile)
	if err != nil {
		return export.Stats{}, configError(err)
	}
	m.log = m.logger(nil, g)
	client, err := api.New(api.Options{BaseURL: f.baseURL, APIKey: key, Logger: m.log, UserAgent: "enspace-sync/" + versionInfo().Version})
	if err != nil {
		return export.Stats{}, configError(err)
	}
	return walkLive(ctx, m, client, f.slug, f.slug, "", nil, f)
}

func walkLive(ctx context.Context, m *Main, client *api.Client, name, slug, env string, filter backup.Filter, f *exportFlags) (export.Stats, error) {
	w, err := newExportWriter(m, f, export.Options{Workspace: name, Environment: env, Source: "live"})
	if err != nil {
		return export.Stats{}, err
	}
	if f.format == export.FormatCSV {
		// CSV columns follow field order, which must be known before a
		// type's first item: read every type's fields first.
		if err := setLiveFields(ctx, client, slug, w); err != nil {
			_ = w.Abort()
			return export.Stats{}, err
		}
	}
	sink := &liveSink{w: w, kinds: f.kinds, failed: map[string]string{}}
	progress := newProgress(m, name)
	progress.on = progress.on && !f.quiet
	_, err = backup.Run(ctx, client, sink, backup.Options{Workspace: slug, Filter: filter, Logger: m.log, Progress: progress.update})
	progress.done()
	if err == nil && len(sink.failed) > 0 {
		var parts []string
		for _, k := range sortedKeys(sink.failed) {
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
	types, _ := api.KindByName("types")
	fieldsKind, _ := api.KindByName("fields")
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

// readKeyFile reads an API key from a file that only its owner can read.
func readKeyFile(path string) (api.Secret, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("api key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("api key file %s can be read by its group or others (mode %04o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("api key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", errors.New("api key file " + path + " is empty")
	}
	return api.Secret(key), nil
}
