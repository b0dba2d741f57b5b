package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// itemTypes are the demo types whose items the benchmark edits.
var itemTypes = []string{"clients", "contracts", "invoices"}

// benchRun makes one run of the backup, storage, diff and export
// measurements in dir.
func benchRun(o options, restic, dir string) ([]figure, error) {
	f, err := startFake((o.items + 2) / 3)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cfg, db, err := writeConfig(dir, f.url)
	if err != nil {
		return nil, err
	}
	fig, err := firstBackup(o, f, cfg, dir)
	if err != nil || o.backupOnly {
		return fig, err
	}
	add := func(name string, v float64) { fig = append(fig, figure{name: name, value: v}) }

	st, err := storageDays(o, f, cfg, db, restic, dir)
	if err != nil {
		return nil, err
	}
	fig = append(fig, st...)
	ws := f.srv.Workspace("acme")
	total := 0
	for _, typ := range itemTypes {
		total += len(ws.ItemIDs(typ))
	}

	for _, n := range []int{10, min(10_000, total)} {
		o.logf("diff of %d changes", n)
		if err := changeItems(ws, days+n, n); err != nil {
			return nil, err
		}
		_, rec, err := backup(o.bin, cfg)
		if err != nil {
			return nil, err
		}
		if got := rec.itemsChanged(); got != int64(n) {
			return nil, fmt.Errorf("edited %d items, the snapshot counts %d changed", n, got)
		}
		d, err := measure(o.bin, "diff", "--config", cfg, "--stat")
		if err != nil {
			return nil, err
		}
		add(fmt.Sprintf("diff command, %d changed items s", n), d.wall.Seconds())
	}
	o.logf("export")
	ex, err := exportFigures(o.bin, cfg, dir, "run")
	if err != nil {
		return nil, err
	}
	fig = append(fig, ex...)
	return fig, nil
}

// firstBackup measures the first backup of the fake f (its figures against
// the API-bound ideal) and a bare pager sending the same GETs.
func firstBackup(o options, f *fake, cfg, dir string) ([]figure, error) {
	var fig []figure
	add := func(name string, v float64) { fig = append(fig, figure{name: name, value: v}) }
	o.logf("first backup")
	add("load average (1 minute) before the backup", loadAverage())
	before, fakeBefore := f.srv.Requests(), selfCPU()
	stop := f.rec.record()
	u, _, err := backup(o.bin, cfg)
	reqs := stop()
	if err != nil {
		return nil, err
	}
	fakeCPU := selfCPU() - fakeBefore
	after := f.srv.Requests()
	o.logf("bare pager")
	p, err := pagerRuns(o, f.url, filepath.Join(dir, "key"), dir, reqs)
	if err != nil {
		return nil, err
	}
	pages := listPages(before, after)
	ideal := time.Duration(pages) * latency / concurrency
	add("backup wall s", u.wall.Seconds())
	add(fmt.Sprintf("backup API-bound ideal s (%d list pages x 20 ms / 8)", pages), ideal.Seconds())
	add("backup wall / ideal (target 1.25)", u.wall.Seconds()/ideal.Seconds())
	add("backup requests", float64(after.Total-before.Total))
	add("backup peak RSS MiB", float64(u.rss)/(1<<20))
	add("backup peak anonymous resident MiB (heap; sampled)", float64(u.anon)/(1<<20))
	add("backup peak file-backed resident MiB (mapped database; sampled)", float64(u.file)/(1<<20))
	add("backup CPU s (program)", u.cpu.Seconds())
	add("backup CPU s (fake API, same machine)", fakeCPU.Seconds())
	add("backup % CPU busy (both, of all cores)", 100*(u.cpu+fakeCPU).Seconds()/(u.wall.Seconds()*float64(runtime.NumCPU())))
	add(fmt.Sprintf("bare pager wall s (the same %d GETs, bodies discarded; median of %d)", len(reqs), max(o.pagerRuns, 1)), p.wall.Seconds())
	add("backup wall / bare pager wall (target 1.1)", u.wall.Seconds()/p.wall.Seconds())
	add(fmt.Sprintf("bare pager CPU s (median of %d)", max(o.pagerRuns, 1)), p.cpu.Seconds())
	add("backup CPU / bare pager CPU (target 4)", u.cpu.Seconds()/p.cpu.Seconds())
	add("backup minor page faults", float64(u.minflt))
	add(fmt.Sprintf("bare pager minor page faults (median of %d)", max(o.pagerRuns, 1)), float64(p.minflt))
	return fig, nil
}

// changeItems edits n items spread evenly over the three item types, a
// different set for each seed, with values no earlier edit used.
func changeItems(ws *fakeapi.Workspace, seed, n int) error {
	var all []struct {
		typ string
		id  int64
	}
	for _, typ := range itemTypes {
		for _, id := range ws.ItemIDs(typ) {
			all = append(all, struct {
				typ string
				id  int64
			}{typ, id})
		}
	}
	if n <= 0 || len(all) == 0 {
		return nil
	}
	step := max(len(all)/n, 1)
	changed := 0
	for g := seed % step; g < len(all) && changed < n; g += step {
		it := all[g]
		var data map[string]any
		switch it.typ {
		case "clients":
			data = map[string]any{"city": fmt.Sprintf("City %d-%d", seed, g)}
		case "contracts":
			data = map[string]any{"value": seed*1_000_000 + g}
		default:
			data = map[string]any{"amount": seed*1_000_000 + g}
		}
		if err := ws.UpdateItem(it.typ, it.id, data); err != nil {
			return fmt.Errorf("edit %s %d: %w", it.typ, it.id, err)
		}
		changed++
	}
	return nil
}
