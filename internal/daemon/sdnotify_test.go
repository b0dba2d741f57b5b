package daemon

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestSystemdNotifications(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	env := map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "10000"} // pings every 5ms
	d := start(t, b, env, Workspace{Name: "acme", Schedule: "@daily"}, Workspace{Name: "scrub", Schedule: "@weekly", Scrub: true})
	next := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
		}
		return ""
	}
	// The scrub is a job, not a workspace.
	if s, want := next(), "READY=1\nSTATUS=scheduled 1 workspace, 1 other job"; s != want {
		t.Errorf("first notification = %q, want %q", s, want)
	}
	if s := next(); s != "WATCHDOG=1" {
		t.Errorf("second notification = %q, want WATCHDOG=1", s)
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for s := next(); s != "STOPPING=1"; s = next() {
		if s != "WATCHDOG=1" {
			t.Fatalf("notification %q before STOPPING=1", s)
		}
	}
}

func TestWatchdogInterval(t *testing.T) {
	for _, tc := range []struct {
		usec, pid string
		want      time.Duration
	}{
		{"", "", 0},
		{"30000000", "", 30 * time.Second},
		{"30000000", "1", 0}, // another process's watchdog
		{"junk", "", 0},
	} {
		env := map[string]string{"WATCHDOG_USEC": tc.usec, "WATCHDOG_PID": tc.pid}
		if got := watchdogInterval(func(k string) string { return env[k] }); got != tc.want {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %s, want %s", tc.usec, tc.pid, got, tc.want)
		}
	}
}

func TestSDNotifyWithoutSocket(t *testing.T) {
	if err := sdNotify(func(string) string { return "" }, "READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v, want nil", err)
	}
	if err := sdNotify(func(string) string { return "relative/path" }, "READY=1"); err == nil {
		t.Error("a relative NOTIFY_SOCKET: no error")
	}
}
