package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// restoreItems is the number of items per demo type in the restore-crash
// part: the restored type, contracts, has as many.
const restoreItems = 200

// runRestoreCrash restores a deleted type o.restoreCrash times, each time
// into a fresh fake: the restore is killed with SIGKILL at a random write
// (before the fake sees it, or after it applied it), then run again to the
// end. The type must come back with each of its items once.
func runRestoreCrash(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("restore crash: %d restores killed with SIGKILL and run again", o.restoreCrash)}
	rng := rand.New(rand.NewPCG(o.seed, 2))
	var dups, missing, panics, failedRuns int64
	killed, writes, reruns := 0, 0, 0
	var took []float64
	for i := range o.restoreCrash {
		r, err := restoreRound(o, i, rng)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", i, err)
		}
		dups += r.dups
		missing += r.missing
		panics += r.panics
		failedRuns += r.failed
		writes += r.writes
		reruns += r.reruns
		if r.killed {
			killed++
		}
		took = append(took, r.rerun.Seconds())
		for _, n := range r.notes {
			t.note("round %d: %s", i, n)
		}
	}
	t.add("scenario", "type contracts (%d items, fields, relations) deleted, then restore --snapshot latest~1 type:contracts at 1 ms latency", restoreItems)
	t.add("restores killed", "%d of %d (the others ended before their chosen write)", killed, o.restoreCrash)
	t.add("writes planned per restore", "%d on average", writes/max(1, o.restoreCrash))
	t.add("runs after the kill to get to the end", "%d (median time of the run that finished: %.2f s)", reruns, median(took))
	t.must("duplicate objects in the target", dups)
	t.must("objects missing from the target", missing)
	t.must("restores that did not get to the end in 4 runs", failedRuns)
	t.must("panics", panics)
	return t, nil
}

// roundResult is what one restore round found.
type roundResult struct {
	dups, missing, panics, failed int64
	killed                        bool
	writes, reruns                int
	rerun                         time.Duration
	notes                         []string
}

func restoreRound(o *options, i int, rng *rand.Rand) (*roundResult, error) {
	ks := &killSwitch{}
	f, err := startFake(fakeapi.Options{Data: "demo", Items: restoreItems, Seed: int64(i + 1),
		Faults: fakeapi.Faults{Latency: time.Millisecond}}, func(h http.Handler) http.Handler { ks.next = h; return ks })
	if err != nil {
		return nil, err
	}
	defer f.close()
	w, err := newWorkdir(o.bin, filepath.Join(o.tmp, fmt.Sprintf("restore-%d", i)), configOptions{url: f.url, envExtra: "concurrency: 8"})
	if err != nil {
		return nil, err
	}
	before, err := listAll(f.url, "acme", "/ws/types/contracts/items")
	if err != nil {
		return nil, err
	}
	fieldsBefore, err := listAll(f.url, "acme", "/ws/types/contracts/fields")
	if err != nil {
		return nil, err
	}
	if r := w.run("backup"); r.code != 0 {
		return nil, fmt.Errorf("backup: exit %d\n%s", r.code, r.out)
	}
	if err := f.srv.Workspace("acme").DeleteType("contracts"); err != nil {
		return nil, err
	}
	if r := w.run("backup"); r.code != 0 {
		return nil, fmt.Errorf("backup after the deletion: exit %d\n%s", r.code, r.out)
	}
	args := []string{"restore", "--yes", "--snapshot", "latest~1", "type:contracts"}
	var plan struct {
		Actions map[string]int `json:"actions"`
	}
	dry := w.run(append(args, "--dry-run", "--json")...)
	if dry.code != 0 || json.Unmarshal([]byte(dry.stdout), &plan) != nil {
		return nil, fmt.Errorf("dry run: exit %d\n%s", dry.code, dry.out)
	}
	res := &roundResult{writes: plan.Actions["create"] + plan.Actions["update"]}
	cmd := w.command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	nth := 1 + rng.IntN(max(1, res.writes))
	ks.arm(cmd.Process, nth, rng.IntN(2) == 1)
	code := exitCode(cmd.Wait())
	ks.disarm()
	res.killed = code == -int(syscall.SIGKILL)
	if panicked(out.String()) {
		res.panics++
	}
	if !res.killed && code != 0 && code != 3 {
		res.notes = append(res.notes, fmt.Sprintf("the killed run ended with exit %d: %s", code, firstLine(out.String())))
	}
	for attempt := 1; ; attempt++ {
		r := w.run(args...)
		res.reruns++
		res.rerun = r.took
		if panicked(r.out) {
			res.panics++
		}
		if r.code == 0 {
			break
		}
		if attempt == 4 {
			res.failed++
			res.notes = append(res.notes, fmt.Sprintf("run %d after the kill: exit %d: %s", attempt, r.code, firstLine(r.out)))
			break
		}
	}
	after, err := listAll(f.url, "acme", "/ws/types/contracts/items")
	if err != nil {
		return nil, err
	}
	fieldsAfter, err := listAll(f.url, "acme", "/ws/types/contracts/fields")
	if err != nil {
		return nil, err
	}
	types, err := listAll(f.url, "acme", "/ws/types")
	if err != nil {
		return nil, err
	}
	d, m := compareCounts(countBy(before, itemData), countBy(after, itemData))
	res.dups, res.missing = d, m
	d, m = compareCounts(countBy(fieldsBefore, slugOf), countBy(fieldsAfter, slugOf))
	res.dups, res.missing = res.dups+d, res.missing+m
	n := countBy(types, slugOf)["contracts"]
	switch {
	case n == 0:
		res.missing++
	case n > 1:
		res.dups += int64(n - 1)
	}
	if res.dups+res.missing > 0 {
		res.notes = append(res.notes, fmt.Sprintf("kill at write %d: %d duplicated, %d missing (items %d -> %d, fields %d -> %d)",
			nth, res.dups, res.missing, len(before), len(after), len(fieldsBefore), len(fieldsAfter)))
	}
	return res, nil
}

// compareCounts returns how many objects want lacks in got (missing) and
// how many got holds beyond want (duplicates).
func compareCounts(want, got map[string]int) (dups, missing int64) {
	for k, n := range want {
		if got[k] < n {
			missing += int64(n - got[k])
		}
	}
	for k, n := range got {
		if n > want[k] {
			dups += int64(n - want[k])
		}
	}
	return dups, missing
}

func countBy(rows []map[string]any, key func(map[string]any) string) map[string]int {
	out := map[string]int{}
	for _, r := range rows {
		out[key(r)]++
	}
	return out
}

func itemData(o map[string]any) string {
	raw, _ := json.Marshal(o["data"])
	return string(raw)
}

func slugOf(o map[string]any) string { return fmt.Sprint(o["slug"]) }

// listAll reads every page of a list of the fake with its demo key.
func listAll(base, ws, path string) ([]map[string]any, error) {
	var all []map[string]any
	for page := 1; ; page++ {
		req, err := http.NewRequest("GET", fmt.Sprintf("%s%s?page=%d&limit=100", base, path, page), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
		req.Header.Set("en-workspace", ws)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var rows []map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		all = append(all, rows...)
		if len(rows) < 100 {
			return all, nil
		}
	}
}

// killSwitch passes requests on and kills an armed process at its nth
// write, before the write reaches the fake or after the fake applied it.
type killSwitch struct {
	next http.Handler

	mu    sync.Mutex
	proc  *os.Process
	left  int
	after bool
}

func (k *killSwitch) arm(p *os.Process, nth int, after bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.proc, k.left, k.after = p, nth, after
}

func (k *killSwitch) disarm() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.proc = nil
}

func (k *killSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		k.next.ServeHTTP(w, r)
		return
	}
	k.mu.Lock()
	var victim *os.Process
	if k.proc != nil {
		k.left--
		if k.left == 0 {
			victim = k.proc
			k.proc = nil
		}
	}
	after := k.after
	k.mu.Unlock()
	if victim == nil {
		k.next.ServeHTTP(w, r)
		return
	}
	if after {
		k.next.ServeHTTP(w, r)
	}
	_ = victim.Signal(syscall.SIGKILL)
	if !after {
		http.Error(w, "killed", http.StatusServiceUnavailable)
	}
}
