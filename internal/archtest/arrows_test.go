// Package archtest keeps the arrows between packages pointing one way, as
// DESIGN.md asks: api knows HTTP, snapshot knows bbolt, diff is pure,
// scheduler knows time, and only cmd/enspace-sync wires them together.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/enspace-sync/enspace-sync/"

// allowed lists, per package, the project packages it may import. A
// package missing here may import nothing of the project but what a rule
// below grants.
var allowed = map[string][]string{
	"internal/api":         {},
	"internal/api/fakeapi": {"internal/api"},
	"internal/jsonv":       {},
	"internal/snapshot":    {"internal/jsonv"},
	"internal/diff":        {"internal/jsonv"},
	"internal/scheduler":   {},
	"internal/config":      {"internal/api"},
	"internal/backup":      {"internal/api"},
	"internal/selector":    {"internal/api"},
	"internal/export":      {},
	"internal/restore":     {"internal/api", "internal/jsonv", "internal/selector"},
	"internal/notify":      {},
	"internal/daemon":      {"internal/scheduler"},
	"internal/doctor":      {"internal/api", "internal/config"},
}

// forbiddenExternal lists modules a package must not use even indirectly
// through its own imports.
var forbiddenExternal = map[string][]string{
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
	pkgs := make([]string, 0, len(imports))
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		for imp := range imports[pkg] {
			if !strings.HasPrefix(imp, module) {
				for _, bad := range forbiddenExternal[pkg] {
					if imp == bad || strings.HasPrefix(imp, bad+"/") {
						t.Errorf("%s imports %s: it must not know that", pkg, imp)
					}
				}
				continue
			}
			target := strings.TrimPrefix(imp, module)
			if strings.HasPrefix(target, "cmd/") {
				t.Errorf("%s imports %s: nothing imports the command", pkg, target)
				continue
			}
			if strings.HasPrefix(pkg, "cmd/") {
				continue
			}
			rules, ok := allowed[pkg]
			if !ok {
				continue // packages without rules (the wiring ones) may import the leaves
			}
			if !contains(rules, target) {
				t.Errorf("%s imports %s: the arrows allow only %v", pkg, target, rules)
			}
		}
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
