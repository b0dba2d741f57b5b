package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// maintenance are the commands runKillMaintenance kills, and the number
// of snapshots each leaves of the seed's four.
var maintenance = []struct {
	args  []string
	after int
}{
	{[]string{"forget", "--keep-last", "2", "--prune"}, 2},
	{[]string{"prune"}, 4},
	{[]string{"db", "compact"}, 4},
}

// runKillMaintenance kills forget --prune, prune and db compact with
// SIGKILL at random moments, o.killMaint times in turn, each on a copy of
// the same database of four snapshots: after each kill the database must
// verify with the data read and list the snapshots of before or of after
// the command, never others; the command run again must succeed and leave
// a database that verifies.
func runKillMaintenance(o *options) (*table, error) {
	t := &table{title: fmt.Sprintf("maintenance: %d runs of forget --prune, prune and db compact killed with SIGKILL", o.killMaint)}
	f, err := startFake(fakeapi.Options{Data: "demo", Items: o.items}, nil)
	if err != nil {
		return nil, err
	}
	defer f.close()
	base, err := newWorkdir(o.bin, filepath.Join(o.tmp, "killmaint-base"), configOptions{url: f.url, envExtra: "concurrency: 4"})
	if err != nil {
		return nil, err
	}
	ws := f.srv.Workspace("acme")
	for i := range 4 {
		if i > 0 { // new content in every snapshot, so that forget leaves data to prune
			ids := ws.ItemIDs("contracts")
			for _, id := range ids[:min(len(ids), 5)] {
				if err := ws.DeleteItem("contracts", id); err != nil {
					return nil, err
				}
			}
		}
		if r := base.run("backup"); r.code != 0 {
			return nil, fmt.Errorf("backup %d: exit %d\n%s", i, r.code, r.out)
		}
	}
	seed, err := os.ReadFile(base.db)
	if err != nil {
		return nil, err
	}
	// One unkilled run of each command, to time it.
	took := make([]time.Duration, len(maintenance))
	for i, m := range maintenance {
		w, err := copyWorkdir(o, f.url, fmt.Sprintf("killmaint-probe-%d", i), seed)
		if err != nil {
			return nil, err
		}
		r := w.run(m.args...)
		if r.code != 0 {
			return nil, fmt.Errorf("%s: exit %d\n%s", strings.Join(m.args, " "), r.code, r.out)
		}
		took[i] = r.took
	}
	rng := rand.New(rand.NewPCG(o.seed, 5))
	var corrupt, halfDone, failedAgain, panics int64
	killed, finished := 0, 0
	for i := range o.killMaint {
		k := i % len(maintenance)
		m := maintenance[k]
		w, err := copyWorkdir(o, f.url, fmt.Sprintf("killmaint-%d", i), seed)
		if err != nil {
			return nil, err
		}
		cmd := w.command(m.args...)
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		delay := time.Duration(rng.Int64N(int64(took[k])*12/10 + 1))
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		code := exitCode(cmd.Wait())
		timer.Stop()
		switch code {
		case 0:
			finished++
		case -int(syscall.SIGKILL):
			killed++
		default:
			t.note("round %d (%s): ended by itself with exit %d", i, m.args[0], code)
		}
		what := fmt.Sprintf("round %d (%s killed at %s)", i, strings.Join(m.args, " "), delay.Round(time.Millisecond))
		v := w.run("verify", "--read-data")
		if v.code != 0 {
			corrupt++
			t.note("%s: verify exit %d: %s", what, v.code, firstLine(v.out))
		}
		snaps, err := listSnapshots(w)
		switch {
		case err != nil:
			corrupt++
			t.note("%s: %v", what, err)
		case len(snaps) != 4 && len(snaps) != m.after:
			halfDone++
			t.note("%s: %d snapshots, want 4 or %d", what, len(snaps), m.after)
		}
		again := w.run(m.args...)
		if again.code != 0 {
			failedAgain++
			t.note("%s: run again: exit %d: %s", what, again.code, firstLine(again.out))
		}
		if v2 := w.run("verify", "--read-data"); v2.code != 0 {
			corrupt++
			t.note("%s: verify after the second run: exit %d: %s", what, v2.code, firstLine(v2.out))
		}
		for _, r := range []result{v, again} {
			if panicked(r.out) {
				panics++
			}
		}
		_ = os.RemoveAll(w.dir)
	}
	t.add("database", "4 snapshots of %d items, %s", 3*o.items, mib(int64(len(seed))))
	t.add("commands", "forget --keep-last 2 --prune %s, prune %s, db compact %s (unkilled)",
		took[0].Round(time.Millisecond), took[1].Round(time.Millisecond), took[2].Round(time.Millisecond))
	t.add("runs", "%d: %d killed, %d finished before the kill", o.killMaint, killed, finished)
	t.must("corrupt databases (verify --read-data after the kill and after the second run)", corrupt)
	t.must("half-done commands (snapshots neither before nor after)", halfDone)
	t.must("commands that failed when run again", failedAgain)
	t.must("panics", panics)
	return t, nil
}
