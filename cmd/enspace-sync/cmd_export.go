package main

import (
	"context"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/progress"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "export",
		summary: "write a portable copy of a workspace (snapshot or live)",
		usage:   "enspace-sync export [--workspace NAME] (--snapshot SNAP | --live) --output PATH [--format ndjson|json|csv] [--kind KIND]... [--quiet]",
		help: `Writes every object of a workspace, from a snapshot (--snapshot) or straight
from the API (--live, the same walker as backup), to PATH:
  PATH ending in .tar.gz   one archive, gzip-compressed (also .tgz)
  PATH ending in .tar.zst  one archive, zstd-compressed (smaller, faster)
  -                        a .tar.gz archive on stdout
  anything else            a directory (it must not exist yet)
A PATH that exists already exits 2: export replaces nothing.

Layout: manifest.json (workspace, environment, source snapshot or "live",
time, format version, counts per kind, the SHA-256 of every file), one file
per kind, and items per type in items/<type slug>.ndjson. With --format csv,
items are written as items/<type slug>.csv: a header row of field slugs in
field order, one row per item, relation values as ids. Secrets are never in
an export (the API does not return them).

The output is written under a temporary name, synced and renamed: an
interrupted export never leaves anything under PATH. It holds what the
database holds, so its files are 0600 and its directories 0700 (--mode
0640 gives 0640 and 0750), whatever the umask. With --json (and an
output other than -), a summary on stdout: {"output", "files", "objects",
"bytes", "duration_seconds"}.

--live needs no database; with --base-url, --slug and --api-key-file it
needs no config file either.

Examples:
  enspace-sync export --snapshot latest --output acme.tar.gz
  enspace-sync export --snapshot latest --output acme.tar.zst
  enspace-sync export --live --format csv --output acme-export/
  enspace-sync export --live --base-url https://api.leif.enspace.io \
      --slug acme --api-key-file ~/.enspace-key --output - > acme.tar.gz`,
		run: runExport,
	})
}

// exportOptions are export's flags.
type exportOptions struct {
	g                      globalFlags
	req                    app.ExportRequest
	kinds                  stringList
	baseURL, slug, keyFile string
}

func runExport(ctx context.Context, m *Main, args []string) error {
	cmd := commands["export"]
	fs := newFlags(cmd)
	o := &exportOptions{req: app.ExportRequest{Stdout: m.Stdout}}
	o.g.register(fs)
	fs.StringVar(&o.req.Workspace, "workspace", "", "the workspace (may be left out when the config has one)")
	fs.StringVar(&o.req.Snapshot, "snapshot", "", "export this snapshot: an id, latest or latest~N")
	fs.BoolVar(&o.req.Live, "live", false, "export straight from the API instead of a snapshot")
	fs.StringVar(&o.req.Output, "output", "", "where to write: a directory, a .tar.gz, .tgz or .tar.zst file, or - for stdout")
	fs.StringVar(&o.req.Format, "format", "ndjson", "ndjson, json, or csv (csv for items; other kinds stay ndjson)")
	fs.Var(&o.kinds, "kind", "only this kind; repeat for several (default all)")
	fs.Func("mode", "permission of the files written, in octal; directories get the matching execute bits (default 0600)", func(v string) (err error) {
		o.req.Mode, err = export.ParseMode(v)
		return err
	})
	fs.StringVar(&o.baseURL, "base-url", "", "with --live and no config: the API's base URL")
	fs.StringVar(&o.slug, "slug", "", "with --base-url: the workspace slug")
	fs.StringVar(&o.keyFile, "api-key-file", "", "with --base-url: a file holding the API key (chmod 600)")
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	req := &o.req
	switch {
	case len(rest) > 0:
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	case req.Output == "":
		return usagef(cmd.name, "--output is required")
	case req.Live == (req.Snapshot != ""):
		return usagef(cmd.name, "give exactly one of --snapshot SNAP and --live")
	case req.Format != "ndjson" && req.Format != "json" && req.Format != "csv":
		return usagef(cmd.name, "--format must be ndjson, json or csv, not %q", req.Format)
	case o.baseURL != "" && (!req.Live || o.slug == "" || o.keyFile == ""):
		return usagef(cmd.name, "--base-url needs --live, --slug and --api-key-file")
	}
	for _, k := range o.kinds {
		if _, err := kind.ByName(k); err != nil {
			return usagef(cmd.name, "--kind: %s", err)
		}
	}
	req.Kinds = o.kinds
	if req.Output == "-" && m.terminal(m.Stdout) {
		return usagef(cmd.name, "--output -: standard output is a terminal, and the export is a binary .tar.gz; redirect it to a file or a pipe")
	}
	return exportCommand(ctx, m, o)
}

// exportCommand writes the export and prints its summary.
func exportCommand(ctx context.Context, m *Main, o *exportOptions) error {
	start := time.Now()
	line := progress.New(m.Stderr, o.req.Workspace+o.slug, o.g.quiet)
	o.req.Progress = line
	st, err := m.export(ctx, o)
	line.Done()
	if err != nil {
		return err
	}
	if o.g.asJSON && o.req.Output != "-" {
		return printJSON(m, map[string]any{"output": o.req.Output, "files": st.Files, "objects": st.Objects,
			"bytes": st.Bytes, "duration_seconds": app.Seconds(time.Since(start))})
	}
	if !o.g.quiet {
		fmt.Fprintf(m.Stderr, "exported %d objects in %d files (%s) to %s in %s\n", st.Objects, st.Files, humanBytes(st.Bytes), o.req.Output, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// export runs the export: without a config for --base-url, else through
// the core over the config.
func (m *Main) export(ctx context.Context, o *exportOptions) (export.Stats, error) {
	if o.baseURL != "" {
		key, err := config.ReadKeyFile(o.keyFile)
		if err != nil {
			return export.Stats{}, configError(err)
		}
		m.log = m.logger(nil, &o.g)
		client, err := app.NewStandaloneClient(o.baseURL, key, "enspace-sync/"+versionInfo().Version, m.log)
		if err != nil {
			return export.Stats{}, err
		}
		return app.ExportStandalone(ctx, app.StandaloneWorkspace{Client: client, Slug: o.slug}, o.req)
	}
	mode := secretsNone
	if o.req.Live {
		mode = secretsOnUse
	}
	cfg, err := m.loadConfig(&o.g, mode)
	if err != nil {
		return export.Stats{}, err
	}
	var db *snapshot.DB
	if !o.req.Live {
		if db, err = m.openDB(cfg, true, "export"); err != nil {
			return export.Stats{}, err
		}
	}
	svc, err := m.service(cfg, db)
	if err != nil {
		return export.Stats{}, err
	}
	return svc.Export(ctx, o.req)
}
