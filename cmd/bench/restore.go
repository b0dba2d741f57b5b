package main

import "fmt"

// restoreRun deletes the contracts type of a fake with o.restoreItems items
// per type and measures its restore from the snapshot before.
func restoreRun(o options, dir string) ([]figure, error) {
	f, err := startFake(o.restoreItems)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cfg, _, err := writeConfig(dir, f.url)
	if err != nil {
		return nil, err
	}
	if _, _, err := backup(o.bin, cfg); err != nil {
		return nil, err
	}
	ws := f.srv.Workspace("acme")
	n := len(ws.ItemIDs("contracts"))
	if err := ws.DeleteType("contracts"); err != nil {
		return nil, err
	}
	if _, _, err := backup(o.bin, cfg); err != nil {
		return nil, err
	}
	o.logf("restore of %d contracts", n)
	before := f.srv.Requests()
	u, err := measure(o.bin, "restore", "--yes", "--config", cfg, "--snapshot", "latest~1", "type:contracts")
	if err != nil {
		return nil, err
	}
	after := f.srv.Requests()
	if got := len(ws.ItemIDs("contracts")); got != n {
		return nil, fmt.Errorf("restored %d contracts of %d", got, n)
	}
	var writes int64
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		writes += after.ByMethod[m] - before.ByMethod[m]
	}
	ideal := float64(concurrency) / latency.Seconds()
	return []figure{
		{name: fmt.Sprintf("restore of a deleted type (%d items, their fields and %d relation values) s", n, n), value: u.wall.Seconds()},
		{name: "restore items/s", value: float64(n) / u.wall.Seconds()},
		{name: "restore writes (requests)", value: float64(writes)},
		{name: fmt.Sprintf("restore writes/s (API-bound ideal %.0f)", ideal), value: float64(writes) / u.wall.Seconds()},
		{name: "restore requests in all", value: float64(after.Total - before.Total)},
	}, nil
}
