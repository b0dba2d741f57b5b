package main

import (
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// memoryRun backs up a fake of o.memoryItems items twice (the second
// unchanged) and reports the peak memory of each; then, on that database,
// verify's, and the plans of restoring one item and a whole type (their
// time, peak anonymous memory and requests).
func memoryRun(o options, dir string) ([]figure, error) {
	f, err := startFake((o.memoryItems + 2) / 3)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cfg, db, err := writeConfig(dir, f.url)
	if err != nil {
		return nil, err
	}
	before := f.srv.Requests()
	u, _, err := backup(o.bin, cfg)
	if err != nil {
		return nil, err
	}
	pages := listPages(before, f.srv.Requests())
	ideal := time.Duration(pages) * latency / concurrency
	o.logf("second backup")
	u2, _, err := backup(o.bin, cfg)
	if err != nil {
		return nil, err
	}
	fig := []figure{
		{name: "first backup wall s", value: u.wall.Seconds()},
		{name: fmt.Sprintf("API-bound ideal s (%d list pages)", pages), value: ideal.Seconds()},
		{name: "first backup wall / ideal", value: u.wall.Seconds() / ideal.Seconds()},
		{name: "first backup CPU s", value: u.cpu.Seconds()},
		{name: "first backup peak RSS MiB", value: mib(u.rss)},
		{name: "first backup peak anonymous resident MiB (heap; sampled; target 100)", value: mib(u.anon)},
		{name: "first backup peak file-backed resident MiB (mapped database; sampled)", value: mib(u.file)},
		{name: "second (unchanged) backup wall s", value: u2.wall.Seconds()},
		{name: "second (unchanged) backup peak RSS MiB", value: mib(u2.rss)},
		{name: "second backup peak anonymous resident MiB (sampled)", value: mib(u2.anon)},
		{name: "database MiB", value: mib(fileSize(db))},
	}
	o.logf("verify")
	v, err := measure(o.bin, "verify", "--config", cfg)
	if err != nil {
		return nil, err
	}
	fig = append(fig,
		figure{name: "verify wall s", value: v.wall.Seconds()},
		figure{name: "verify peak anonymous resident MiB (sampled; target 100)", value: mib(v.anon)},
		figure{name: "verify peak RSS MiB", value: mib(v.rss)})
	ws := f.srv.Workspace("acme")
	ids := ws.ItemIDs("contracts")
	if len(ids) == 0 {
		return nil, fmt.Errorf("no contracts in the fake")
	}
	sels := []struct{ name, sel string }{{"one item", fmt.Sprintf("item:contracts/%d", ids[len(ids)/2])}}
	if o.typePlan != "" {
		sels = append(sels, struct{ name, sel string }{"type:" + o.typePlan, "type:" + o.typePlan})
	}
	for _, s := range sels {
		o.logf("restore plan of %s", s.sel)
		p, err := planRun(o.bin, cfg, f.srv, s.sel)
		if err != nil {
			return nil, err
		}
		wallTarget, memTarget := "", ""
		if s.name == "one item" {
			wallTarget, memTarget = " (target 1)", " (target 50)"
		}
		fig = append(fig,
			figure{name: fmt.Sprintf("restore plan (--dry-run) of %s: wall s%s", s.name, wallTarget), value: p.wall.Seconds()},
			figure{name: fmt.Sprintf("restore plan of %s: CPU s", s.name), value: p.cpu.Seconds()},
			figure{name: fmt.Sprintf("restore plan of %s: peak anonymous resident MiB%s", s.name, memTarget), value: mib(p.anon)},
			figure{name: fmt.Sprintf("restore plan of %s: requests", s.name), value: float64(p.requests)})
	}
	return fig, nil
}

// planUsage is a plan's usage and the requests the fake received.
type planUsage struct {
	usage
	requests int64
}

// planRun plans restoring sel from the latest snapshot into the live
// workspace, changing nothing.
func planRun(bin, cfg string, srv *fakeapi.Server, sel string) (planUsage, error) {
	before := srv.Requests().Total
	u, err := measure(bin, "restore", "--dry-run", "--config", cfg, "--snapshot", "latest", sel)
	return planUsage{usage: u, requests: srv.Requests().Total - before}, err
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
