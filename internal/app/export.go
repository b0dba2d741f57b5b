package app

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/export"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// ExportRequest says what to export and where.
type ExportRequest struct {
	Workspace string // "" when the config has one
	Snapshot  string // export this snapshot; "" with Live
	Live      bool   // export straight from the API
	// Output is a directory (it must not exist yet), a path ending in
	// .tar.gz, .tgz or .tar.zst (an archive compressed as its name says),
	// or "-" for a .tar.gz written to Stdout.
	Output string
	Stdout io.Writer
	Format string      // export.FormatNDJSON, FormatJSON or FormatCSV
	Mode   os.FileMode // the files' permission; 0 means export.DefaultMode (0600)
	Kinds  []string    // only these kinds (none: all)
	// Progress hears of each object written.
	Progress Progress
}

// StandaloneWorkspace is a workspace outside any config, for a live
// export: the client and the workspace's slug.
type StandaloneWorkspace struct {
	Client *api.Client
	Slug   string
}

// checkExport refuses an unknown kind.
func checkExport(req *ExportRequest) error {
	for _, k := range req.Kinds {
		if _, err := kind.ByName(k); err != nil {
			return inputf("enspace-sync export --help", "--kind: %s", err)
		}
	}
	return nil
}

// Export writes every object of a workspace, from a snapshot or live, to
// req.Output: under a temporary name, synced and renamed, so an interrupted
// export never leaves anything under the final name.
func (s *Service) Export(ctx context.Context, req ExportRequest) (export.Stats, error) {
	if err := checkExport(&req); err != nil {
		return export.Stats{}, err
	}
	req.Progress = orNoProgress(req.Progress)
	if req.Live {
		return s.exportLive(ctx, &req)
	}
	return s.exportSnapshot(&req)
}

// ExportStandalone is a live export of a workspace that is not in the
// config (export --live --base-url).
func ExportStandalone(ctx context.Context, ws StandaloneWorkspace, req ExportRequest) (export.Stats, error) {
	if err := checkExport(&req); err != nil {
		return export.Stats{}, err
	}
	req.Progress = orNoProgress(req.Progress)
	return walkLive(ctx, ws.Client, ws.Slug, ws.Slug, "", nil, &req)
}

// newExportWriter opens the writer for req.Output. An output that exists
// is a usage error (exit 2), as db backup's and restore-db's.
func newExportWriter(req *ExportRequest, opts export.Options) (*export.Writer, error) {
	opts.Format, opts.Mode = req.Format, req.Mode
	if req.Output == "-" {
		return export.NewTarGzStream(req.Stdout, opts)
	}
	var w *export.Writer
	var err error
	if c, ok := export.ArchiveCompression(req.Output); ok {
		w, err = export.NewArchive(req.Output, c, opts)
	} else {
		w, err = export.NewDir(strings.TrimSuffix(req.Output, "/"), opts)
	}
	if errors.Is(err, export.ErrExists) {
		return nil, outputExists(req.Output, "export")
	}
	return w, err
}
