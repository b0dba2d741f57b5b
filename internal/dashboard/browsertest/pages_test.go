package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/dashboard"
	"github.com/enspace-sync/enspace-sync/internal/dashboard/dashtest"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// serve serves the dashboard over svc under the base /d, as a guard
// would mount it.
func serve(t *testing.T, svc *app.Service) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/d/", http.StripPrefix("/d", dashboard.New(svc, dashboard.Options{Base: "/d"})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/d"
}

// anomalous returns the snapshot of acme that recorded an anomaly.
func anomalous(t *testing.T, snaps []*snapshot.Snapshot) *snapshot.Snapshot {
	t.Helper()
	for _, sn := range snaps {
		if len(sn.Anomalies) > 0 {
			return sn
		}
	}
	t.Fatal("the demo recorded no anomaly")
	return nil
}

func values[T any](s []T, f func(T) int64) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

func TestPagesInBrowser(t *testing.T) {
	b := newBrowser(t)
	svc := dashtest.Open(t, dashtest.Demo(t))
	base := serve(t, svc)
	snaps := dashtest.Snapshots(t, svc, "acme")
	bad := anomalous(t, snaps)

	t.Run("overview", func(t *testing.T) {
		b.t = t
		b.load(base+"/", "overview")
		names := eval[[]string](b, `[...document.querySelectorAll("tr.job")].map(r => r.dataset.name)`)
		if want := []string{"acme", "acme-stage"}; !slices.Equal(names, want) {
			t.Errorf("workspaces %q, want %q", names, want)
		}
		got := eval[[]int64](b, `[...document.querySelectorAll('tr.job[data-name="acme"] svg circle')].map(c => +c.dataset.value)`)
		want := values(snaps, func(s *snapshot.Snapshot) int64 { return int64(s.Objects) })
		if !slices.Equal(got, want) {
			t.Errorf("sparkline of acme %v, want the objects of its snapshots %v", got, want)
		}
		badge := eval[string](b, `document.querySelector('tr.job[data-name="acme"] .badge.anomaly').textContent`)
		if !strings.Contains(badge, "1 anomaly") {
			t.Errorf("anomaly badge %q", badge)
		}
		b.fitsAtDoubleZoom(base+"/", "overview")
	})

	t.Run("workspace", func(t *testing.T) {
		b.t = t
		b.load(base+"/workspaces/acme", "workspace")
		for _, k := range []string{"items", "types", "fields"} {
			got := eval[[]int64](b, fmt.Sprintf(`[...document.querySelectorAll('svg g[data-series="%s"] circle')].map(c => +c.dataset.value)`, k))
			want := values(snaps, func(s *snapshot.Snapshot) int64 { return int64(s.Counts[k]) })
			if !slices.Equal(got, want) {
				t.Errorf("chart of %s %v, want the snapshot counts %v", k, got, want)
			}
		}
		rows := eval[[]string](b, `[...document.querySelectorAll("tr.snapshot")].map(r => r.dataset.id + (r.dataset.anomaly ? " anomaly" : ""))`)
		var want []string
		for i := len(snaps) - 1; i >= 0; i-- {
			w := snaps[i].ID
			if snaps[i] == bad {
				w += " anomaly"
			}
			want = append(want, w)
		}
		if !slices.Equal(rows, want) {
			t.Errorf("snapshot rows\n%s\nwant\n%s", join(rows), join(want))
		}
	})

	t.Run("snapshot", func(t *testing.T) {
		b.t = t
		b.load(base+"/workspaces/acme/snapshots/"+bad.ID, "snapshot")
		v, err := svc.SnapshotChanges("acme", bad.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Compare(v.From, bad, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range res.Changes {
			want = append(want, changeRef(c.Kind, c.Parent, c.Key, string(c.Op)))
		}
		got := eval[[]string](b, `[...document.querySelectorAll("li.change")].map(li => li.closest("section").dataset.kind + " " + li.dataset.ref + " " + li.dataset.op)`)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("change rows\n%s\nwant\n%s", join(got), join(want))
		}
		restore := eval[string](b, `document.querySelector(".anomaly-box code.restore").textContent`)
		if wantCmd := "enspace-sync restore --workspace acme --snapshot " + v.From.ShortID() + " type:contracts"; restore != wantCmd {
			t.Errorf("restore command %q, want %q", restore, wantCmd)
		}
		what := eval[string](b, `document.querySelector(".anomaly-box").textContent`)
		if !strings.Contains(what, "type contracts disappeared") {
			t.Errorf("anomaly box %q", what)
		}
		counts := eval[map[string]int](b, `Object.fromEntries([...document.querySelectorAll("tr.count")].map(r => [r.dataset.kind, +r.querySelector("td[data-value]").dataset.value]))`)
		for k, n := range bad.Counts {
			if counts[k] != n {
				t.Errorf("count of %s %d, want %d", k, counts[k], n)
			}
		}
		b.fitsAtDoubleZoom(base+"/workspaces/acme/snapshots/"+bad.ID, "snapshot")
	})

	t.Run("compare", func(t *testing.T) {
		b.t = t
		first, last := snaps[0], snaps[len(snaps)-1]
		b.load(base+"/compare/"+first.ShortID()+"/"+last.ShortID(), "compare")
		res, err := svc.Compare(first, last, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := eval[int](b, `document.querySelectorAll("li.change").length`); n != len(res.Changes) {
			t.Errorf("%d change rows, want %d", n, len(res.Changes))
		}
	})

	t.Run("object", func(t *testing.T) {
		b.t = t
		b.load(base+"/objects/item:clients/1001?workspace=acme", "object")
		sel, _ := selector.Parse("item:clients/1001")
		h, err := svc.History(app.HistoryRequest{Workspace: "acme", Selector: sel})
		if err != nil {
			t.Fatal(err)
		}
		ops := eval[[]string](b, `[...document.querySelectorAll("li.entry")].map(e => e.dataset.op)`)
		var want []string
		for _, e := range h.Entries {
			want = append(want, string(e.Op))
		}
		if !slices.Equal(ops, want) {
			t.Errorf("timeline %q, want %q", ops, want)
		}
		fields := eval[string](b, `[...document.querySelectorAll("tr.field")].map(r => r.textContent).join("\n")`)
		if !strings.Contains(fields, "Campinas") {
			t.Errorf("the field changes do not show the new city:\n%s", fields)
		}
	})

	t.Run("storage", func(t *testing.T) {
		b.t = t
		b.load(base+"/storage", "storage")
		all, err := svc.DB().Snapshots("")
		if err != nil {
			t.Fatal(err)
		}
		got := eval[[]int64](b, `[...document.querySelectorAll('svg g[data-series="bytes added"] circle')].map(c => +c.dataset.value)`)
		if want := values(all, func(s *snapshot.Snapshot) int64 { return s.AddedBytes }); !slices.Equal(got, want) {
			t.Errorf("bytes per snapshot %v, want %v", got, want)
		}
		if dedup := eval[string](b, `document.getElementById("dedup").textContent`); !strings.Contains(dedup, "×") {
			t.Errorf("dedup ratio %q", dedup)
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		b.t = t
		b.load(base+"/", "keyboard")
		if err := chromedpTab(b); err != nil {
			t.Fatal(err)
		}
		if got := eval[string](b, `document.activeElement.textContent`); got != "Skip to content" {
			t.Errorf("the first Tab focuses %q, want the skip link", got)
		}
	})
}

// changeRef is how a change row names its object: KIND PARENT/KEY OP.
func changeRef(kind, parent, key, op string) string {
	if parent != "" {
		key = parent + "/" + key
	}
	return kind + " " + key + " " + op
}
