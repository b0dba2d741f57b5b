package dashboard

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/enspace-sync/enspace-sync/internal/diff"
)

func TestShowValueFolds(t *testing.T) {
	long := strings.Repeat("é<b>", 40)
	for _, tc := range []struct {
		in     any
		absent bool
		short  string
		folded bool
	}{
		{"Campinas", false, `"Campinas"`, false},
		{nil, false, "null", false},
		{nil, true, "(none)", false},
		{map[string]any{"a": 1}, false, `{"a":1}`, false},
		{long, false, "", true},
	} {
		v := showValue(tc.in, tc.absent)
		if tc.short != "" && v.Short != tc.short {
			t.Errorf("showValue(%v): %q, want %q", tc.in, v.Short, tc.short)
		}
		if (v.Full != "") != tc.folded {
			t.Errorf("showValue(%v) folded = %v, want %v", tc.in, v.Full != "", tc.folded)
		}
		if tc.folded && (utf8.RuneCountInString(v.Short) != foldAt || !utf8.ValidString(v.Short)) {
			t.Errorf("folded value %q: %d characters, want %d", v.Short, utf8.RuneCountInString(v.Short), foldAt)
		}
	}
}

// TestChangeListEscapes checks that the hand-written change list escapes
// what the API stored: keys, labels, paths and values.
func TestChangeListEscapes(t *testing.T) {
	h := &handler{opts: Options{Base: "/b"}}
	evil := `<img src=x onerror=alert(1)>`
	groups := []changeGroup{{Kind: "items", Changes: []changeRow{{
		Op: diff.Changed, Ref: "clients/" + evil, Label: evil, Selector: "item:clients/" + evil,
		Fields: []fieldRow{{Path: "data." + evil, Op: diff.Changed, Old: showValue(evil, false), New: showValue(strings.Repeat(evil, 9), false)}},
	}}}}
	var buf strings.Builder
	if err := h.changeList(&buf, groups, "acme"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<img") {
		t.Errorf("unescaped markup in\n%s", out)
	}
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt;", `<details><summary>`, `href="/b/objects/item:clients/%3Cimg%20src=x%20onerror=alert%281%29%3E?workspace=acme"`} {
		if !strings.Contains(out, want) {
			t.Errorf("change list lacks %q:\n%s", want, out)
		}
	}
}

func TestChartPoints(t *testing.T) {
	c := chart{Title: "objects <of> acme", Series: []series{{Name: "items", Points: []point{{Label: "a", Value: 3}, {Label: "b", Value: 0}, {Label: "c", Value: 12}}}}}
	out := string(c.render())
	if got := strings.Count(out, "<circle"); got != 3 {
		t.Errorf("%d points, want 3", got)
	}
	for _, want := range []string{`data-value="3"`, `data-value="0"`, `data-value="12"`, "objects &lt;of&gt; acme", `data-series="items"`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q:\n%s", want, out)
		}
	}
	if empty := string(chart{Title: "none"}.render()); strings.Contains(empty, "<circle") || strings.Contains(empty, "NaN") {
		t.Errorf("empty chart: %s", empty)
	}
}
