package daemon

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOffsitePushAfterBackup: a backup that stores a snapshot starts the
// push of every after-backup target, which shows in status as an offsite
// job and stays out of /readyz.
func TestOffsitePushAfterBackup(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"], b.lastOK["offsite:nas"], b.lastOK["offsite:s3"] = t0, t0, t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@daily"},
		Workspace{Name: "offsite:nas", Schedule: "@hourly", Offsite: true, AfterBackup: true},
		Workspace{Name: "offsite:s3", Schedule: "@daily", Offsite: true})
	idle(t, d, c, 3)
	ticket, err := d.Trigger("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the push after the backup", func() bool { return strings.Contains(b.Calls(), "push offsite:nas") })
	idle(t, d, c, 3)
	if got := b.Calls(); strings.Contains(got, "push offsite:s3") || strings.Contains(got, "retain offsite") {
		t.Errorf("calls = %q: the scheduled target pushed, or retention ran for a push", got)
	}
	kinds := map[string]string{}
	for _, w := range d.Status().Workspaces {
		kinds[w.Name] = w.Kind
	}
	if kinds["offsite:nas"] != "offsite" || kinds["acme"] != "backup" {
		t.Errorf("status kinds = %v", kinds)
	}
	for _, w := range d.Ready().Workspaces {
		if strings.HasPrefix(w.Name, "offsite:") {
			t.Errorf("readyz lists %s", w.Name)
		}
	}
}

// TestOffsitePushAgainAfterBackupDuringPush: a backup that finishes while
// its target's push runs (here the push of the scheduler a reload
// replaced, the one way a backup and a push of one daemon overlap) leads
// to another push right after that one, not at the hourly catch-up.
func TestOffsitePushAgainAfterBackupDuringPush(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"], b.lastOK["offsite:nas"] = t0, t0
	ws := []Workspace{{Name: "acme", Schedule: "@daily"},
		{Name: "offsite:nas", Schedule: "@hourly", Offsite: true, AfterBackup: true}}
	d := start(t, b, nil, ws...)
	idle(t, d, c, 2)
	release := make(chan struct{})
	b.mu.Lock()
	b.block["offsite:nas"] = release
	b.mu.Unlock()
	if _, err := d.Trigger("offsite:nas"); err != nil {
		t.Fatal(err)
	}
	pushes := func() int { return strings.Count(b.Calls(), "push offsite:nas") }
	eventually(t, "the first push to start", func() bool { return pushes() == 1 })
	if err := d.Reload(Settings{Workspaces: ws, Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	ticket, err := d.Trigger("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	if n := pushes(); n != 1 {
		t.Fatalf("%d pushes while the first still runs, want 1", n)
	}
	close(release)
	eventually(t, "the push after the backup", func() bool { return pushes() == 2 })
	idle(t, d, c, 2)
	if n := pushes(); n != 2 {
		t.Errorf("%d pushes, want 2 (calls %s)", n, b.Calls())
	}
}
