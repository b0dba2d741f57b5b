package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cronModule is the cron parser. DESIGN.md: the scheduler is "the only
// place that parses schedules"; config validation and the daemon's
// readiness check call scheduler.ParseSchedule and scheduler.Period.
const cronModule = "github.com/robfig/cron/v3"

// TestOnlySchedulerImportsCron fails when a Go file (tests included)
// outside internal/scheduler imports the cron parser.
func TestOnlySchedulerImportsCron(t *testing.T) {
	root := filepath.Join("..", "..")
	owner := filepath.Join(root, "internal", "scheduler")
	files := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == owner || (path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), "."))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if p == cronModule || strings.HasPrefix(p, cronModule+"/") {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s imports %s: only internal/scheduler parses schedules (use scheduler.ParseSchedule or scheduler.Period)",
					filepath.ToSlash(rel), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("found no Go files: the test runs from the wrong directory")
	}
}
