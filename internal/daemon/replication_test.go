package daemon

import (
	"strings"
	"testing"
)

func TestReplicationJobs(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	b.status["stage-to-prod"] = StatusHeld
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"},
		Workspace{Name: "stage-to-prod", Schedule: "@every 1h", Replication: true})
	// A replication never catches up at start: it waits for its time, or
	// a trigger.
	idle(t, d, c, 2)
	if strings.Contains(b.Calls(), "replicate") {
		t.Fatalf("a replication ran at start: %s", b.Calls())
	}
	if _, err := d.Trigger("stage-to-prod"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replication to run", func() bool { return strings.Contains(b.Calls(), "replicate stage-to-prod") })
	idle(t, d, c, 2)
	if calls := b.Calls(); strings.Contains(calls, "backup stage-to-prod") || strings.Contains(calls, "retain stage-to-prod") {
		t.Errorf("calls %q: a replication ran a backup or retention", calls)
	}
	st := d.Status()
	if st.Workspaces[1].Kind != "replication" || st.Workspaces[0].Kind != "backup" {
		t.Errorf("kinds %q %q, want backup and replication", st.Workspaces[0].Kind, st.Workspaces[1].Kind)
	}
	if last := st.Workspaces[1].LastRun; last == nil || last.Status != StatusHeld {
		t.Errorf("replication's last run %+v, want held", last)
	}
	r := d.Ready()
	if len(r.Workspaces) != 1 || r.Workspaces[0].Name != "acme" {
		t.Errorf("readiness covers %+v, want only the backup of acme", r.Workspaces)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.notified) == 0 || b.notified[len(b.notified)-1].Status != StatusHeld {
		t.Errorf("notified %+v, want the held replication", b.notified)
	}
}
