package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// runCrash backs up a slow fake o.crash times, killing each run with
// SIGKILL at a random moment; after each kill the database must open, pass
// verify --read-data and list only the snapshots of finished runs. Then a
// backup and a prune run: what prune frees is what the killed runs left
// behind that the next start did not reclaim.
func runCrash(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("crash: %d backups killed with SIGKILL", o.crash)}
	f, err := startFake(fakeapi.Options{Data: "demo", Items: o.items, Faults: fakeapi.Faults{Latency: 2 * time.Millisecond}}, nil)
	if err != nil {
		return nil, err
	}
	defer f.close()
	w, err := newWorkdir(o.bin, filepath.Join(o.tmp, "crash"), configOptions{url: f.url, envExtra: "concurrency: 4"})
	if err != nil {
		return nil, err
	}
	first := w.run("backup")
	if first.code != 0 {
		return nil, fmt.Errorf("first backup: exit %d\n%s", first.code, first.out)
	}
	full := first.took
	rng := rand.New(rand.NewPCG(o.seed, 1))
	completed, killed, afterCommit := 1, 0, 0
	var corrupt, halfVisible, panics int64
	for i := range o.crash {
		cmd := w.command("backup")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		delay := time.Duration(rng.Int64N(int64(full) * 9 / 10))
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		code := exitCode(cmd.Wait())
		timer.Stop()
		switch code {
		case 0:
			completed++
		case -int(syscall.SIGKILL):
			killed++
		default:
			t.note("run %d ended by itself with exit %d", i, code)
			halfVisible++
		}
		v := w.run("verify", "--read-data")
		if v.code != 0 {
			corrupt++
			t.note("after kill %d at %s: verify exit %d: %s", i, delay, v.code, firstLine(v.out))
		}
		if panicked(v.out) {
			panics++
		}
		n, incomplete, err := snapshotCount(w)
		switch {
		case err != nil:
			corrupt++
			t.note("after kill %d: %v", i, err)
		case incomplete > 0:
			halfVisible += int64(incomplete)
			t.note("after kill %d: %d snapshots not complete", i, incomplete)
		case n == completed+1 && code != 0:
			// Killed after its commit, before it exited: a finished run.
			completed, afterCommit = n, afterCommit+1
		case n != completed:
			halfVisible++
			t.note("after kill %d at %s: %d snapshots listed, want %d", i, delay, n, completed)
			completed = n
		}
	}
	sizeBefore := fileSize(w.db)
	next := w.run("backup")
	if next.code != 0 {
		corrupt++
		t.note("backup after the kills: exit %d: %s", next.code, firstLine(next.out))
	}
	pr := w.run("prune", "--json")
	var pruned struct {
		Objects int64 `json:"pruned_objects"`
		Bytes   int64 `json:"freed_bytes"`
	}
	if pr.code != 0 || json.Unmarshal([]byte(pr.stdout), &pruned) != nil {
		corrupt++
		t.note("prune after the kills: exit %d: %s", pr.code, firstLine(pr.out))
	}
	if v := w.run("verify", "--read-data"); v.code != 0 {
		corrupt++
		t.note("final verify: exit %d: %s", v.code, firstLine(v.out))
	}
	t.add("workspace", "%d items at 2 ms latency, concurrency 4; a full backup takes %s", 3*o.items, full.Round(time.Millisecond))
	t.add("runs", "%d: %d killed mid-run, %d killed after their commit, %d finished before the kill",
		o.crash, killed-afterCommit, afterCommit, o.crash-killed)
	t.add("database before the next run", "%s", mib(sizeBefore))
	t.add("leftover after the next backup (what prune then frees)", "%d objects, %d bytes", pruned.Objects, pruned.Bytes)
	t.must("corrupt databases (open, verify --read-data, next backup)", corrupt)
	t.must("half-visible snapshots", halfVisible)
	t.must("panics", panics)
	return t, nil
}

// snapshotCount lists the snapshots and counts them and those not complete.
func snapshotCount(w *workdir) (n, incomplete int, err error) {
	r := w.run("snapshots", "--json")
	if r.code != 0 {
		return 0, 0, fmt.Errorf("snapshots: exit %d: %s", r.code, firstLine(r.out))
	}
	var snaps []struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &snaps); err != nil {
		return 0, 0, fmt.Errorf("snapshots --json: %w", err)
	}
	for _, s := range snaps {
		if s.Status != "complete" {
			incomplete++
		}
	}
	return len(snaps), incomplete, nil
}

// firstLine is the first non-empty line of out, for notes.
func firstLine(out string) string {
	for len(out) > 0 {
		line := out
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			out = ""
		}
		if line != "" {
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return line
		}
	}
	return ""
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
