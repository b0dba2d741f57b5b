package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// soakFaults are the faults of the fault part: 10% 429 (half of them, and
// of the 503s, with Retry-After: 1), 5% 500/502/503, 2% connection resets,
// 1% truncated bodies, and an item inserted or deleted before 2% of the
// item pages.
var soakFaults = fakeapi.Faults{Latency: time.Millisecond, Rate429: 0.10, RetryAfterShare: 0.5, RetryAfter: time.Second,
	Rate5xx: 0.05, RateReset: 0.02, RateTruncate: 0.01, RateDrift: 0.02}

// volatileFiles are the export files that differ between any two backups:
// the request log renews itself with every run, the statistics and the
// manifest carry times.
var volatileFiles = map[string]bool{"manifest.json": true, "request-logs.ndjson": true, "stats.ndjson": true}

// runFaults backs up a fake with faults o.faults times, each with its own
// fault seed. After each, the faults are switched off and a fresh
// database backs up the same (possibly drifted) workspace: the two
// snapshots, exported, must hold the same objects. Requests are compared
// with those of that fault-free run; the fake counts requests sent before
// a Retry-After it gave ran out.
func runFaults(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("API faults: %d backups through 429s, 5xx, resets, truncated bodies and paging drift", o.faults)}
	var early, panics, unflagged int64
	equal, partial, drifted := 0, 0, 0
	var ratios, walls []float64
	faults := map[string]int64{}
	var faulty, free int64
	for i := range o.faults {
		f, err := startFake(fakeapi.Options{Data: "demo", Items: o.items, Seed: int64(i + 1), Faults: soakFaults}, nil)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(o.tmp, fmt.Sprintf("faults-%d", i))
		w, err := newWorkdir(o.bin, filepath.Join(dir, "faulty"), configOptions{url: f.url, envExtra: "concurrency: 8\npage_size: 25"})
		if err != nil {
			f.close()
			return nil, err
		}
		r := w.run("backup")
		c := f.srv.Requests()
		if panicked(r.out) {
			panics++
		}
		if r.code != 0 {
			partial++
			t.note("run %d: backup exit %d: %s", i, r.code, firstLine(r.out))
		}
		f.srv.SetFaults(fakeapi.Faults{Latency: time.Millisecond})
		ref, err := newWorkdir(o.bin, filepath.Join(dir, "free"), configOptions{url: f.url, envExtra: "concurrency: 8\npage_size: 25"})
		if err != nil {
			f.close()
			return nil, err
		}
		rr := ref.run("backup")
		c2 := f.srv.Requests()
		f.close()
		if rr.code != 0 {
			return nil, fmt.Errorf("fault-free backup: exit %d\n%s", rr.code, rr.out)
		}
		early += c.EarlyRetries
		for k, n := range c.Faults {
			faults[k] += n
		}
		faulty += c.Total
		free += c2.Total - c.Total
		ratios = append(ratios, float64(c.Total)/float64(c2.Total-c.Total))
		walls = append(walls, r.took.Seconds())
		if r.code == 0 {
			same, why, err := sameSnapshots(w, ref, dir)
			if err != nil {
				return nil, err
			}
			switch flagged := snapshotDrift(w); {
			case same:
				equal++
			case c.Faults[fakeapi.FaultDrift] > 0 && flagged:
				// Items were inserted or deleted while it paged: it may
				// differ from a later read, and it says so.
				drifted++
			default:
				unflagged++
				t.note("run %d: the snapshot differs from the fault-free one without flagging drift: %s", i, why)
			}
		}
	}
	t.add("workspace", "%d items in 3 types, page size 25, concurrency 8, 1 ms latency", 3*o.items)
	t.add("faults injected", "%s", formatFaults(faults))
	t.add("runs whose snapshot equals the fault-free one", "%d of %d (%.0f%%)", equal, o.faults, 100*float64(equal)/float64(max(1, o.faults)))
	t.add("runs that differ where items moved while paging, drift flagged", "%d", drifted)
	t.must("runs that differ without flagging drift", unflagged)
	t.add("runs stored as partial or failed", "%d", partial)
	t.add("requests relative to the fault-free run", "%.2fx median (%d against %d in all)", median(ratios), faulty, free)
	t.add("backup time with faults", "%.1f s median (Retry-After waits are real)", median(walls))
	t.must("requests sent before a Retry-After ran out", early)
	t.must("panics", panics)
	return t, nil
}

// snapshotDrift reports whether the latest snapshot of w flagged drift
// (items inserted or deleted while a listing paged).
func snapshotDrift(w *workdir) bool {
	r := w.run("snapshots", "--json")
	var snaps []struct {
		Drift []string `json:"drift"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &snaps) != nil || len(snaps) == 0 {
		return false
	}
	return len(snaps[len(snaps)-1].Drift) > 0
}

func formatFaults(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// sameSnapshots exports the latest snapshot of both workdirs as ndjson and
// compares every file but the volatile ones.
func sameSnapshots(a, b *workdir, dir string) (bool, string, error) {
	da, db := filepath.Join(dir, "export-a"), filepath.Join(dir, "export-b")
	for _, e := range []struct {
		w   *workdir
		out string
	}{{a, da}, {b, db}} {
		if r := e.w.run("export", "--snapshot", "latest", "--output", e.out); r.code != 0 {
			return false, "", fmt.Errorf("export: exit %d\n%s", r.code, r.out)
		}
	}
	fa, err := exportFiles(da)
	if err != nil {
		return false, "", err
	}
	fb, err := exportFiles(db)
	if err != nil {
		return false, "", err
	}
	var diffs []string
	for name, body := range fa {
		if other, ok := fb[name]; !ok {
			diffs = append(diffs, name+" only with faults")
		} else if !bytes.Equal(body, other) {
			diffs = append(diffs, name+" differs")
		}
	}
	for name := range fb {
		if _, ok := fa[name]; !ok {
			diffs = append(diffs, name+" only without faults")
		}
	}
	sort.Strings(diffs)
	return len(diffs) == 0, strings.Join(diffs, ", "), nil
}

// exportFiles reads the files of an export directory but the volatile ones.
func exportFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if volatileFiles[rel] {
			return nil
		}
		body, err := os.ReadFile(path)
		out[rel] = body
		return err
	})
	return out, err
}
