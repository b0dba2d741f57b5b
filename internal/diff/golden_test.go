package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadKinds reads testdata/kinds.json: the kind table as the command
// converts it from the API's table.
func loadKinds(t testing.TB) map[string]KindInfo {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "kinds.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []KindInfo
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]KindInfo{}
	for _, k := range list {
		kinds[k.Name] = k
	}
	return kinds
}

// caseInput reads a test case: files "old/<kind>/[<parent>/]<key>" and
// "new/..." hold objects, "unknown-old" and "unknown-new" lines of
// "kind: error". Like the store, it passes on only the objects whose
// content differs.
func caseInput(t *testing.T, ar *txtar.Archive, kinds map[string]KindInfo) Input {
	t.Helper()
	type id struct{ kind, parent, key string }
	sides := map[id]*Pair{}
	var order []id
	in := Input{Kinds: kinds, UnknownOld: map[string]string{}, UnknownNew: map[string]string{}}
	for _, f := range ar.Files {
		if f.Name == "unknown-old" || f.Name == "unknown-new" {
			dst := in.UnknownOld
			if f.Name == "unknown-new" {
				dst = in.UnknownNew
			}
			for _, line := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
				kind, reason, _ := strings.Cut(line, ": ")
				dst[kind] = reason
			}
			continue
		}
		parts := strings.Split(f.Name, "/")
		if len(parts) < 3 || len(parts) > 4 || (parts[0] != "old" && parts[0] != "new") {
			t.Fatalf("bad file name %q", f.Name)
		}
		k := id{kind: parts[1], key: parts[len(parts)-1]}
		if len(parts) == 4 {
			k.parent = parts[2]
		}
		p, ok := sides[k]
		if !ok {
			p = &Pair{Kind: k.kind, Parent: k.parent, Key: k.key}
			sides[k] = p
			order = append(order, k)
		}
		data := bytes.TrimSpace(f.Data)
		if parts[0] == "old" {
			p.Old = data
		} else {
			p.New = data
		}
	}
	var ps []Pair
	for _, k := range order {
		if p := sides[k]; !bytes.Equal(p.Old, p.New) {
			ps = append(ps, *p)
		}
	}
	in.Pairs = slices.Values(ps)
	return in
}

// render writes a result in every form, as a txtar archive.
func render(t *testing.T, r *Result) []byte {
	t.Helper()
	var text, stat, js bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&stat, r, TextOptions{Stat: true}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(js.Bytes()) {
		t.Fatalf("WriteJSON wrote invalid JSON:\n%s", js.Bytes())
	}
	return txtar.Format(&txtar.Archive{Files: []txtar.File{
		{Name: "text", Data: text.Bytes()},
		{Name: "stat", Data: stat.Bytes()},
		{Name: "json", Data: js.Bytes()},
	}})
}

func TestGolden(t *testing.T) {
	kinds := loadKinds(t)
	cases, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no test cases in testdata")
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in := caseInput(t, ar, kinds)
			r, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, r)

			// The order of the pairs must not matter.
			ps := slices.Collect(in.Pairs)
			slices.Reverse(ps)
			in.Pairs = slices.Values(ps)
			again, err := Compute(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(got), string(render(t, again))); diff != "" {
				t.Errorf("output depends on the order of the pairs (-first +reversed):\n%s", diff)
			}

			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got); run go test -update if the change is right:\n%s", golden, diff)
			}
		})
	}
}
