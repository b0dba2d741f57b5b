package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockInfo is what a read-write opener writes next to the database so that
// another opener can say who holds the lock.
type lockInfo struct {
	PID       int    `json:"pid"`
	Hostname  string `json:"hostname"`
	Command   string `json:"command"`
	StartedAt string `json:"started_at"`
}

func lockInfoPath(dbPath string) string { return dbPath + ".lock-info" }

// defaultCommand is the program name and its leading non-flag arguments
// (the subcommand), never flags, which might hold secrets.
func defaultCommand() string {
	if len(os.Args) == 0 {
		return "unknown"
	}
	parts := []string{filepath.Base(os.Args[0])}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") || len(parts) == 3 {
			break
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func (db *DB) writeLockInfo() error {
	host, _ := os.Hostname()
	cmd := db.opts.Command
	if cmd == "" {
		cmd = defaultCommand()
	}
	b, err := json.Marshal(lockInfo{
		PID: os.Getpid(), Hostname: host, Command: cmd,
		StartedAt: formatTime(db.opts.Now()),
	})
	if err != nil {
		return fmt.Errorf("encode lock info: %w", err)
	}
	path := lockInfoPath(db.path)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write lock info: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write lock info: %w", err)
	}
	db.lockInfo = path
	return nil
}

// lockedError builds the ErrLocked error, naming the holder from its
// lock-info file when there is one.
func lockedError(dbPath string, timeout time.Duration) error {
	b, err := os.ReadFile(lockInfoPath(dbPath))
	var info lockInfo
	if err == nil {
		err = json.Unmarshal(b, &info)
	}
	if err != nil || info.PID <= 0 {
		return &detailError{ErrLocked, fmt.Sprintf(
			"database is locked by another process (no lock info: a read-only reader, or an older build); gave up after %s", timeout)}
	}
	where := ""
	if host, _ := os.Hostname(); info.Hostname != "" && info.Hostname != host {
		where = " on " + info.Hostname
	}
	stale := ""
	if where == "" && !processAlive(info.PID) {
		stale = " (that process is gone: the lock info is stale and a read-only reader holds the lock)"
	}
	return &detailError{ErrLocked, fmt.Sprintf("database is locked by pid %d (%s)%s since %s%s; gave up after %s",
		info.PID, info.Command, where, info.StartedAt, stale, timeout)}
}

// processAlive reports whether a process with this pid exists on this host;
// it answers true when it cannot tell.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH)
}

// HeldByDaemon reports whether the lock-info file of the database at
// dbPath names the daemon ("enspace-sync run") as the holder of its lock,
// so that a command refused by ErrLocked can say to go through the daemon.
func HeldByDaemon(dbPath string) bool {
	b, err := os.ReadFile(lockInfoPath(dbPath))
	var info lockInfo
	if err != nil || json.Unmarshal(b, &info) != nil {
		return false
	}
	return info.Command == "enspace-sync run" || strings.HasPrefix(info.Command, "enspace-sync run ")
}
