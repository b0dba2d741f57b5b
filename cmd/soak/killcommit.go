package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// runKillCommit aims SIGKILLs at the commit of a backup that writes new
// content and flags an anomaly (a type deleted since the snapshot before):
// each round starts from a copy of the same one-snapshot database and
// kills the backup at a random moment around the end of its run, where
// its trees are built and its record, anomalies and the protection of the
// snapshot before are written (the aim moves later after a kill before the
// commit, earlier after a run that finished first), or, every other round,
// up to 0.5 ms after it printed its snapshot, its commit done. After
// every kill the database must verify with the data read, and either the run left no snapshot (and the next
// backup flags the anomaly and protects the snapshot before), or its
// snapshot carries the anomaly and the snapshot before is protected.
func runKillCommit(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("kill at the commit: %d backups of a deletion killed with SIGKILL", o.killCommit)}
	f, err := startFake(fakeapi.Options{Data: "demo", Items: o.items, Faults: fakeapi.Faults{Latency: 2 * time.Millisecond}}, nil)
	if err != nil {
		return nil, err
	}
	defer f.close()
	base, err := newWorkdir(o.bin, filepath.Join(o.tmp, "killcommit-base"), configOptions{url: f.url, envExtra: "concurrency: 4"})
	if err != nil {
		return nil, err
	}
	if r := base.run("backup"); r.code != 0 {
		return nil, fmt.Errorf("first backup: exit %d\n%s", r.code, r.out)
	}
	if err := f.srv.Workspace("acme").DeleteType("contracts"); err != nil {
		return nil, err
	}
	seed, err := os.ReadFile(base.db)
	if err != nil {
		return nil, err
	}
	// Three unkilled runs of the deletion, on copies, to time it: the
	// fastest is the one to aim at (the first runs warm the caches).
	var full time.Duration
	for i := range 3 {
		probe, err := copyWorkdir(o, f.url, fmt.Sprintf("killcommit-probe-%d", i), seed)
		if err != nil {
			return nil, err
		}
		r := probe.run("backup")
		if r.code != 0 {
			return nil, fmt.Errorf("backup of the deletion: exit %d\n%s", r.code, r.out)
		}
		if lost, why := checkDeletion(probe); lost > 0 {
			return nil, fmt.Errorf("the unkilled backup of the deletion: %s", why)
		}
		if full == 0 || r.took < full {
			full = r.took
		}
	}
	rng := rand.New(rand.NewPCG(o.seed, 3))
	var corrupt, lostAnomalies, panics int64
	committed, before, finished, printed := 0, 0, 0, 0
	aim := full
	for i := range o.killCommit {
		w, err := copyWorkdir(o, f.url, fmt.Sprintf("killcommit-%d", i), seed)
		if err != nil {
			return nil, err
		}
		cmd := w.command("backup")
		kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }
		// Every other round, once the run has printed its snapshot (after
		// "backup finished", its commit done) and up to 0.5 ms later.
		onOutput := i%2 == 1
		var after *time.Timer
		var once sync.Once
		wait := time.Duration(rng.Int64N(int64(500 * time.Microsecond)))
		if onOutput {
			cmd.Stdout = writerFunc(func(p []byte) (int, error) {
				once.Do(func() { after = time.AfterFunc(wait, kill) })
				return len(p), nil
			})
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		// Otherwise around the aim, which follows the commit: later after
		// a kill before it, earlier after a run that finished first.
		delay := aim*9/10 + time.Duration(rng.Int64N(int64(aim)*15/100+1))
		if onOutput {
			delay = 10 * full // a backstop
		}
		timer := time.AfterFunc(delay, kill)
		code := exitCode(cmd.Wait())
		timer.Stop()
		once.Do(func() {})
		if after != nil {
			after.Stop()
		}
		if onOutput {
			printed++
		}
		switch code {
		case 0:
			finished++
		case -int(syscall.SIGKILL):
		default:
			t.note("round %d: the backup ended by itself with exit %d", i, code)
		}
		v := w.run("verify", "--read-data")
		if v.code != 0 {
			corrupt++
			t.note("round %d, kill at %s: verify exit %d: %s", i, delay, v.code, firstLine(v.out))
		}
		if panicked(v.out) {
			panics++
		}
		snaps, err := listSnapshots(w)
		if err != nil {
			corrupt++
			t.note("round %d: %v", i, err)
			continue
		}
		switch {
		case onOutput:
		case len(snaps) == 1:
			aim = aim * 105 / 100
		case code == 0:
			aim = aim * 95 / 100
		}
		if len(snaps) == 1 {
			before++
			if n := w.run("backup"); n.code != 0 {
				corrupt++
				t.note("round %d: the backup after the kill: exit %d: %s", i, n.code, firstLine(n.out))
				continue
			}
		} else if code != 0 {
			committed++
		}
		if lost, why := checkDeletion(w); lost > 0 {
			lostAnomalies += lost
			t.note("round %d, kill at %s: %s", i, delay, why)
		}
		_ = os.RemoveAll(w.dir)
	}
	t.add("workspace", "%d items at 2 ms latency; the backup of the deletion takes %s", 3*o.items, full.Round(time.Millisecond))
	t.add("kills", "%d kills → %d lost anomalies: %d before the commit (the next backup flagged it), %d after it, %d runs finished first; %d aimed at the output after the commit",
		o.killCommit, lostAnomalies, before, committed, finished, printed)
	t.must("lost anomalies or protections", lostAnomalies)
	t.must("corrupt databases (verify --read-data, next backup)", corrupt)
	t.must("panics", panics)
	return t, nil
}

// copyWorkdir makes a workdir for the fake at url whose database is seed.
func copyWorkdir(o *options, url, name string, seed []byte) (*workdir, error) {
	w, err := newWorkdir(o.bin, filepath.Join(o.tmp, name), configOptions{url: url, envExtra: "concurrency: 4"})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(w.db), 0o700); err != nil {
		return nil, err
	}
	return w, os.WriteFile(w.db, seed, 0o600)
}

// snapshotRecord is what the checks read of snapshots --json.
type snapshotRecord struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	Anomalies []string `json:"anomalies"`
	Protected string   `json:"protected"`
	Healed    []struct {
		Collection string `json:"collection"`
		Key        string `json:"key"`
	} `json:"healed"`
}

// listSnapshots reads snapshots --json, oldest first.
func listSnapshots(w *workdir) ([]snapshotRecord, error) {
	r := w.run("snapshots", "--json")
	if r.code != 0 {
		return nil, fmt.Errorf("snapshots: exit %d: %s", r.code, firstLine(r.out))
	}
	var out []snapshotRecord
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		return nil, fmt.Errorf("snapshots --json: %w", err)
	}
	return out, nil
}

// checkDeletion checks a database holding the snapshot before the
// deletion and the one after: the second flags the anomaly and the first
// is protected. It returns 1 and why when not.
func checkDeletion(w *workdir) (int64, string) {
	snaps, err := listSnapshots(w)
	switch {
	case err != nil:
		return 1, err.Error()
	case len(snaps) != 2:
		return 1, fmt.Sprintf("%d snapshots, want 2", len(snaps))
	case len(snaps[1].Anomalies) == 0:
		return 1, "the snapshot after the deletion has no anomaly"
	case snaps[0].Protected == "":
		return 1, "the snapshot before the deletion is not protected"
	}
	return 0, ""
}

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
