package daemon

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// sdNotify sends state to the systemd notification socket named by
// $NOTIFY_SOCKET (a path, or "@name" for an abstract socket). It does
// nothing, and returns nil, when the variable is unset: the daemon is not
// running under systemd with Type=notify.
func sdNotify(getenv func(string) string, state string) error {
	socket := getenv("NOTIFY_SOCKET")
	if socket == "" {
		return nil
	}
	if strings.HasPrefix(socket, "@") {
		socket = "\x00" + socket[1:] // Linux abstract namespace
	} else if !strings.HasPrefix(socket, "/") {
		return fmt.Errorf("sd_notify: NOTIFY_SOCKET %q is neither a path nor an abstract name", socket)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// watchdogInterval returns the watchdog timeout systemd set for this
// process ($WATCHDOG_USEC, when $WATCHDOG_PID is unset or names this
// process), or 0 when there is none.
func watchdogInterval(getenv func(string) string) time.Duration {
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond
}

// notifySystemd sends state and logs a failure; it is never fatal.
func (d *Daemon) notifySystemd(state string) {
	if err := sdNotify(d.opts.Getenv, state); err != nil {
		d.log.Warn("tell systemd", "state", strings.SplitN(state, "\n", 2)[0], "err", err)
	}
}

// pingWatchdog sends WATCHDOG=1 every interval until Stop. Each ping first
// takes the daemon's lock, so a daemon wedged on its own state stops
// pinging and systemd restarts it.
func (d *Daemon) pingWatchdog(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.watchdog:
			return
		case <-t.C:
			d.mu.Lock()
			d.mu.Unlock() // an empty critical section: a liveness probe
			d.notifySystemd("WATCHDOG=1")
		}
	}
}
