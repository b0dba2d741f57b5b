package dashboard

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func isNotFound(err error) bool {
	return errors.Is(err, snapshot.ErrNotFound) || errors.Is(err, app.ErrNoDatabase)
}

// overviewRow is one job of the overview with its sparkline.
type overviewRow struct {
	app.JobView
	Spark chart
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	jobs, err := h.src.Overview(h.opts.Now())
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	loc := h.src.Location()
	rows := make([]overviewRow, len(jobs))
	for i, j := range jobs {
		s := series{Name: "objects"}
		for _, p := range j.Objects {
			s.Points = append(s.Points, point{Label: pointLabel(p.Ref, p.Time, loc), Value: p.Value})
		}
		rows[i] = overviewRow{JobView: j, Spark: chart{Title: "objects of " + j.Name + " per snapshot", Series: []series{s}, Height: 32, Spark: true}}
	}
	h.render(w, r, "overview", http.StatusOK, page{Title: "Overview", Nav: "overview", Data: rows})
}

// workspacePage is a workspace's charts and snapshot list (newest first).
type workspacePage struct {
	*app.WorkspaceView
	Kinds, Durations, Added chart
	Newest                  []*snapshot.Snapshot
}

func (h *handler) workspace(w http.ResponseWriter, r *http.Request) {
	v, err := h.src.WorkspaceHistory(r.PathValue("ws"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	loc := h.src.Location()
	kinds := map[string]bool{}
	for _, sn := range v.Snapshots {
		for k := range sn.Counts {
			kinds[k] = true
		}
	}
	p := workspacePage{WorkspaceView: v}
	p.Kinds = chart{Title: "objects per kind in each snapshot of " + v.Name}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		s := series{Name: k}
		for _, sn := range v.Snapshots {
			s.Points = append(s.Points, point{Label: k + " in " + pointLabel(sn.ID, sn.StartedAt, loc), Value: int64(sn.Counts[k])})
		}
		p.Kinds.Series = append(p.Kinds.Series, s)
	}
	dur, added := series{Name: "duration"}, series{Name: "bytes added"}
	for _, run := range v.Runs {
		label := pointLabel(run.Snapshot, run.StartedAt, loc) + " " + string(run.Status)
		dur.Points = append(dur.Points, point{Label: label, Value: run.Duration().Milliseconds()})
	}
	for _, sn := range v.Snapshots {
		added.Points = append(added.Points, point{Label: pointLabel(sn.ID, sn.StartedAt, loc), Value: sn.AddedBytes})
	}
	p.Durations = chart{Title: "duration of each run of " + v.Name + " (ms)", Series: []series{dur}, Height: 160, Unit: millis}
	p.Added = chart{Title: "bytes each snapshot of " + v.Name + " added", Series: []series{added}, Height: 160, Unit: app.HumanBytes}
	p.Newest = slices.Clone(v.Snapshots)
	slices.Reverse(p.Newest)
	h.render(w, r, "workspace", http.StatusOK, page{Title: v.Name, Data: p})
}

func (h *handler) snapshot(w http.ResponseWriter, r *http.Request) {
	v, err := h.src.SnapshotChanges(r.PathValue("ws"), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	h.renderChanges(w, r, "Snapshot "+v.To.ShortID()+" of "+v.To.Workspace, changesPage(v, true))
}

func (h *handler) compare(w http.ResponseWriter, r *http.Request) {
	v, err := h.src.CompareRefs(r.PathValue("from"), r.PathValue("to"))
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	title := fmt.Sprintf("%s from %s to %s", v.To.Workspace, v.From.ShortID(), v.To.ShortID())
	h.renderChanges(w, r, title, changesPage(v, false))
}

// renderChanges renders a snapshot's or a comparison's page, with its
// change list written where the template marks it.
func (h *handler) renderChanges(w http.ResponseWriter, r *http.Request, title string, p changesView) {
	list := func(out io.Writer) error { return h.changeList(out, p.Groups, p.To.Workspace) }
	h.render(w, r, "changes", http.StatusOK, page{Title: title, Data: p, List: list})
}

// objectPage is one object's history.
type objectPage struct {
	Selector string
	*app.HistoryResult
}

func (h *handler) object(w http.ResponseWriter, r *http.Request) {
	text := r.PathValue("selector")
	sel, err := selector.Parse(text)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err)
		return
	}
	ws := r.URL.Query().Get("workspace")
	res, err := h.src.History(app.HistoryRequest{Workspace: ws, Selector: sel})
	var in *app.InputError
	if ws == "" && errors.As(err, &in) && !in.Absent {
		err = fmt.Errorf("%w: name the workspace with ?workspace=NAME", err)
	}
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	if len(res.Entries) == 0 {
		h.fail(w, r, http.StatusNotFound, res.NotFound(sel))
		return
	}
	h.render(w, r, "object", http.StatusOK, page{Title: text + " in " + res.Workspace, Data: objectPage{Selector: text, HistoryResult: res}})
}

// storagePage is the storage figures and charts.
type storagePage struct {
	*app.StorageView
	Live, Added chart
}

func (h *handler) storage(w http.ResponseWriter, r *http.Request) {
	v, err := h.src.Storage()
	if err != nil {
		h.fail(w, r, 0, err)
		return
	}
	loc := h.src.Location()
	live, added := series{Name: "live data"}, series{Name: "bytes added"}
	for i, p := range v.Live {
		live.Points = append(live.Points, point{Label: pointLabel(p.Ref, p.Time, loc), Value: p.Value})
		a := v.Added[i]
		added.Points = append(added.Points, point{Label: pointLabel(a.Ref, a.Time, loc), Value: a.Value})
	}
	p := storagePage{StorageView: v,
		Live:  chart{Title: "bytes added by the snapshots kept, running total", Series: []series{live}, Unit: app.HumanBytes},
		Added: chart{Title: "bytes each snapshot added", Series: []series{added}, Height: 160, Unit: app.HumanBytes}}
	h.render(w, r, "storage", http.StatusOK, page{Title: "Storage", Nav: "storage", Data: p})
}

func millis(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.1f s", float64(ms)/1000)
}
