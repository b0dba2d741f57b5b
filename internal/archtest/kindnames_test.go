package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestNoBareKindNames keeps kind names in the kind table: outside
// internal/kind (and the fake server's data), no Go file, tests included,
// compares a value with a kind's name written as a string literal
// (x == "items", case "quick-tasks":). Code names kinds by the table's
// constants, so adding or renaming a kind is an edit in one place.
func TestNoBareKindNames(t *testing.T) {
	names := map[string]bool{}
	for _, n := range kind.Names() {
		names[n] = true
	}
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "internal/kind" || rel == "internal/api/fakeapi" || (strings.HasPrefix(d.Name(), ".") && path != root) || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		found++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, pos := range bareKindComparisons(f, names) {
			t.Errorf("%s:%d: compares with the kind name %s: use the kind package's constant", rel, fset.Position(pos.at).Line, pos.name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no Go files: the test runs from the wrong directory")
	}
}

type bareName struct {
	at   token.Pos
	name string
}

// bareKindComparisons finds ==, != and case comparisons with a string
// literal that names a kind.
func bareKindComparisons(f *ast.File, names map[string]bool) []bareName {
	var out []bareName
	check := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
				out = append(out, bareName{lit.Pos(), lit.Value})
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				check(n.X)
				check(n.Y)
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				check(e)
			}
		}
		return true
	})
	return out
}

// TestBareKindComparisonsAreFound checks the checker on a file that has
// each form.
func TestBareKindComparisonsAreFound(t *testing.T) {
	src := `package p
func f(k, s string) bool {
	switch k {
	case "quick-tasks":
		return true
	}
	return k == "items" || "types" != k || s == "clients"
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := bareKindComparisons(f, map[string]bool{"items": true, "types": true, "quick-tasks": true})
	var names []string
	for _, g := range got {
		names = append(names, g.name)
	}
	if strings.Join(names, " ") != `"quick-tasks" "items" "types"` {
		t.Errorf("found %v, want the three kind names and not \"clients\"", names)
	}
}
