package fakeapi

import (
	"encoding/json"
	"testing"
)

// ids returns the ids of a page.
func ids(t *testing.T, rows []map[string]any) []int64 {
	t.Helper()
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = num(r["id"])
	}
	return out
}

func TestPaging(t *testing.T) {
	s := newServer(t, Options{}) // invoices: 120 items
	tests := []struct {
		query   string
		wantLen int
		first   int // index of the first row among all rows
	}{
		{"", 20, 0},
		{"?page=2", 20, 20},
		{"?limit=50&page=3", 20, 100},
		{"?limit=100", 100, 0},
		{"?limit=500", 100, 0},
		{"?limit=500&page=2", 20, 100},
		{"?limit=0", 20, 0},
		{"?limit=-5&page=x", 20, 0},
		{"?page=0", 20, 0},
		{"?page=7", 0, 0},
		{"?page=99999999999999999", 0, 0},
		{"?limit=7&page=18", 1, 119},
	}
	var all []int64
	for p := 1; p <= 2; p++ {
		all = append(all, ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=100&page="+itoa(int64(p))))...)
	}
	if len(all) != 120 {
		t.Fatalf("%d items in two pages of 100", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("not ordered by id: %d after %d", all[i], all[i-1])
		}
	}
	for _, tt := range tests {
		got := ids(t, list(t, s, "acme", "/ws/types/invoices/items"+tt.query))
		if len(got) != tt.wantLen {
			t.Errorf("%s: %d rows, want %d", tt.query, len(got), tt.wantLen)
			continue
		}
		if len(got) > 0 && got[0] != all[tt.first] {
			t.Errorf("%s: first id %d, want %d", tt.query, got[0], all[tt.first])
		}
	}
	if got := countOf(t, s, "acme", "/ws/types/invoices/items/count"); got != 120 {
		t.Errorf("count %d", got)
	}
}

func TestEnvelope(t *testing.T) {
	s := newServer(t, Options{Envelope: true})
	var env struct {
		Data  []json.RawMessage `json:"data"`
		Total int               `json:"total"`
	}
	mustJSON(t, get(t, s, "acme", "/ws/types/clients/items?limit=25&page=3"), &env)
	if len(env.Data) != 10 || env.Total != 60 {
		t.Errorf("envelope: %d rows, total %d", len(env.Data), env.Total)
	}
	mustJSON(t, get(t, s, "acme", "/ws/types"), &env)
	if len(env.Data) != 3 || env.Total != 3 {
		t.Errorf("types envelope: %d rows, total %d", len(env.Data), env.Total)
	}
}

func TestNoCount(t *testing.T) {
	s := newServer(t, Options{NoCount: true})
	for _, path := range []string{"/ws/types/count", "/ws/types/contracts/items/count", "/ws/members/count", "/ws/roles/count", "/ws/quick-tasks/count"} {
		a := do(t, s, req{method: "GET", path: path, ws: "acme"})
		want := `{"statusCode":404,"error":"Not Found","message":"Cannot GET ` + path + `"}`
		if a.status != 404 || string(a.body) != want {
			t.Errorf("GET %s: %d %s", path, a.status, a.body)
		}
	}
}

func TestIgnorePaging(t *testing.T) {
	s := newServer(t, Options{IgnorePaging: true})
	p1 := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=10&page=1"))
	p2 := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=10&page=2"))
	if len(p1) != 120 || len(p2) != 120 || p1[0] != p2[0] {
		t.Errorf("IgnorePaging: pages of %d and %d", len(p1), len(p2))
	}
	s = newServer(t, Options{IgnorePage: true})
	p1 = ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=10&page=1"))
	p2 = ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=10&page=2"))
	if len(p1) != 10 || len(p2) != 10 || p1[0] != p2[0] || p1[9] != p2[9] {
		t.Errorf("IgnorePage: %v then %v", p1, p2)
	}
}

// TestPageCap: a limit above the cap is served as the cap, and pages start
// at multiples of it.
func TestPageCap(t *testing.T) {
	s := newServer(t, Options{PageCap: 50}) // invoices: 120 items
	var all []int64
	for p := 1; p <= 3; p++ {
		all = append(all, ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=100&page="+itoa(int64(p))))...)
	}
	if len(all) != 120 {
		t.Fatalf("%d items in three pages asked as 100, want 120 in pages of 50", len(all))
	}
	if got := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=100&page=1")); len(got) != 50 {
		t.Errorf("limit=100: %d rows, want 50", len(got))
	}
	if got := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=20&page=2")); len(got) != 20 || got[0] != all[20] {
		t.Errorf("limit=20 page 2: %d rows from %v, want 20 from %d", len(got), got, all[20])
	}
	if _, err := New(Options{PageCap: -1}); err == nil {
		t.Error("PageCap -1 accepted")
	}
}

// TestShortPage: the first full page of a collection that is not its last
// comes back once without its last row; the count does not change.
func TestShortPage(t *testing.T) {
	s := newServer(t, Options{ShortPage: true}) // invoices: 120 items
	first := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=50&page=1"))
	if len(first) != 49 {
		t.Fatalf("first full page: %d rows, want 49", len(first))
	}
	again := ids(t, list(t, s, "acme", "/ws/types/invoices/items?limit=50&page=1"))
	if len(again) != 50 || again[48] != first[48] {
		t.Errorf("asked again: %d rows, want the 50", len(again))
	}
	if got := ids(t, list(t, s, "acme", "/ws/types/contracts/items?limit=50&page=1")); len(got) != 49 {
		t.Errorf("another collection: %d rows, want 49 (once per collection)", len(got))
	}
	if got := ids(t, list(t, s, "acme", "/ws/types/clients/items?limit=100&page=1")); len(got) != 60 {
		t.Errorf("a last page: %d rows, want all 60", len(got))
	}
	if got := countOf(t, s, "acme", "/ws/types/invoices/items/count"); got != 120 {
		t.Errorf("count = %d, want 120", got)
	}
}
