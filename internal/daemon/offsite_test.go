package daemon

import (
	"context"
	"strings"
	"testing"
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
