// Package archtest keeps the arrows between packages pointing one way, as
// DESIGN.md asks: api knows HTTP, snapshot knows bbolt, diff is pure,
// scheduler knows time, the program (internal/app) sits above the
// engines, and only cmd/enspace-sync, the daemon and the demo call it.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/enspace-sync/enspace-sync/"

// allowed declares every package of the module, from the bottom floor up,
// with the project packages it may import. It fails closed: a package that
// is not listed here fails the test, so a new package must be given its
// place (and its arrows) before it lands.
var allowed = map[string][]string{
	// Leaves: they import nothing of ours.
	"internal/kind":       {},
	"internal/progress":   {},
	"internal/jsonv":      {},
	"internal/completion": {},
	"internal/idset":      {},
	"internal/durable":    {},
	// Test-only packages: their non-test files import nothing.
	"internal/kind/kindtest":   {},
	"internal/jsonv/jsonvtest": {},
	"internal/retry":           {},
	"internal/snapshot":        {"internal/durable", "internal/idset", "internal/jsonv"},
	"internal/scheduler":       {},
	"internal/listenauth":      {},
	"internal/offsite":         {"internal/durable"},
	// Engines and adapters over the leaves.
	"internal/api":         {"internal/idset", "internal/jsonv", "internal/kind", "internal/retry"},
	"internal/notify":      {"internal/retry"},
	"internal/diff":        {"internal/jsonv", "internal/kind"},
	"internal/export":      {"internal/durable", "internal/kind"},
	"internal/api/fakeapi": {"internal/api", "internal/kind"},
	"internal/config":      {"internal/api", "internal/kind", "internal/offsite", "internal/scheduler"},
	"internal/backup":      {"internal/api", "internal/kind"},
	"internal/selector":    {"internal/api", "internal/kind"},
	"internal/restore":     {"internal/api", "internal/jsonv", "internal/kind", "internal/selector"},
	"internal/doctor":      {"internal/api", "internal/config", "internal/kind"},
	// The program: one method per use case over the engines.
	"internal/app": {"internal/api", "internal/backup", "internal/config", "internal/diff", "internal/doctor", "internal/durable", "internal/export",
		"internal/kind", "internal/notify", "internal/offsite", "internal/restore", "internal/retry", "internal/scheduler", "internal/selector", "internal/snapshot"},
	// Callers of the program.
	"internal/daemon": {"internal/app", "internal/kind", "internal/listenauth", "internal/scheduler"},
	// The dashboard renders the program's browse use cases; dashtest
	// builds its tests' database with the demo, browsertest holds tests only.
	"internal/dashboard":             {"internal/app", "internal/diff", "internal/kind", "internal/selector", "internal/snapshot"},
	"internal/dashboard/dashtest":    {"internal/app", "internal/config", "internal/demo", "internal/snapshot"},
	"internal/dashboard/browsertest": {},
	// Test-only helpers of the offsite tests: an S3 fault proxy and the
	// S3-compatible server the end-to-end suite runs against.
	"internal/offsite/s3fault": {},
	"internal/offsite/s3test":  {},
	"internal/demo": {"internal/api", "internal/api/fakeapi", "internal/app", "internal/config", "internal/diff",
		"internal/export", "internal/kind", "internal/restore", "internal/selector", "internal/snapshot"},
	// Commands: flags, prompts and rendering over the program.
	"cmd/enspace-sync": {"internal/api", "internal/api/fakeapi", "internal/app", "internal/config", "internal/daemon",
		"internal/dashboard", "internal/demo", "internal/diff", "internal/doctor", "internal/export", "internal/kind", "internal/progress",
		"internal/completion", "internal/offsite", "internal/restore", "internal/selector", "internal/snapshot"},
	"cmd/soak":  {"internal/api/fakeapi", "internal/kind"},
	"cmd/bench": {"internal/api/fakeapi", "internal/kind"},
}

// forbiddenExternal lists modules a package must not use even indirectly
// through its own imports.
var forbiddenExternal = map[string][]string{
	"internal/kind":      {"go.etcd.io/bbolt", "net/http"},
	"internal/jsonv":     {"go.etcd.io/bbolt", "net/http"},
	"internal/diff":      {"go.etcd.io/bbolt", "net/http"},
	"internal/api":       {"go.etcd.io/bbolt"},
	"internal/snapshot":  {"net/http"},
	"internal/scheduler": {"net/http", "go.etcd.io/bbolt"},
	"internal/export":    {"net/http", "go.etcd.io/bbolt"},
	"internal/backup":    {"go.etcd.io/bbolt"},
	"internal/restore":   {"go.etcd.io/bbolt"},
	"internal/daemon":    {"go.etcd.io/bbolt"},
	"internal/notify":    {"go.etcd.io/bbolt"},
	"internal/doctor":    {"go.etcd.io/bbolt"},
	"internal/app":       {"go.etcd.io/bbolt", "net/http"},
	"internal/demo":      {"go.etcd.io/bbolt"},
	"internal/dashboard": {"go.etcd.io/bbolt"},
}

func TestImportArrows(t *testing.T) {
	root := filepath.Join("..", "..")
	imports := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if imports[rel] == nil {
			imports[rel] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			imports[rel][strings.Trim(imp.Path.Value, `"`)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) == 0 {
		t.Fatal("found no Go packages: the test runs from the wrong directory")
	}
	for _, v := range violations(imports) {
		t.Error(v)
	}
}

// violations checks the imports of each package (by its path in the module)
// against allowed and forbiddenExternal.
func violations(imports map[string]map[string]bool) []string {
	var out []string
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		rules, listed := allowed[pkg]
		if !listed {
			out = append(out, fmt.Sprintf("%s has no place in the arrows: add it to allowed with the packages it may import", pkg))
		}
		imps := make([]string, 0, len(imports[pkg]))
		for imp := range imports[pkg] {
			imps = append(imps, imp)
		}
		sort.Strings(imps)
		for _, imp := range imps {
			if !strings.HasPrefix(imp, module) {
				for _, bad := range forbiddenExternal[pkg] {
					if imp == bad || strings.HasPrefix(imp, bad+"/") {
						out = append(out, fmt.Sprintf("%s imports %s: it must not know that", pkg, imp))
					}
				}
				continue
			}
			target := strings.TrimPrefix(imp, module)
			switch {
			case strings.HasPrefix(target, "cmd/"):
				out = append(out, fmt.Sprintf("%s imports %s: nothing imports the command", pkg, target))
			case listed && !contains(rules, target):
				out = append(out, fmt.Sprintf("%s imports %s: the arrows allow only %v", pkg, target, rules))
			}
		}
	}
	return out
}

// TestArrowsFailClosed checks the checker: a package that is not declared,
// and an import against the arrows, are both reported.
func TestArrowsFailClosed(t *testing.T) {
	got := violations(map[string]map[string]bool{
		"internal/newthing": {module + "internal/api": true},
		"internal/api":      {module + "internal/app": true},
		"internal/diff":     {"go.etcd.io/bbolt": true},
	})
	want := []string{
		fmt.Sprintf("internal/api imports internal/app: the arrows allow only %v", allowed["internal/api"]),
		"internal/diff imports go.etcd.io/bbolt: it must not know that",
		"internal/newthing has no place in the arrows: add it to allowed with the packages it may import",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
