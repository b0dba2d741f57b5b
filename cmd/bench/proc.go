package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// fake is a fake API served on loopback from this process.
type fake struct {
	srv *fakeapi.Server
	rec *recorder
	url string
	hs  *http.Server
}

// startFake serves a demo fake with perType items in each of its three
// item types, at the benchmark's latency.
func startFake(perType int) (*fake, error) {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: perType, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rec := &recorder{next: srv}
	hs := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &fake{srv: srv, rec: rec, url: "http://" + ln.Addr().String(), hs: hs}, nil
}

func (f *fake) close() { _ = f.hs.Close() }

// usage is what one child process took.
type usage struct {
	wall   time.Duration
	cpu    time.Duration // user and system
	rss    int64         // peak resident bytes (the kernel's maxrss)
	minflt int64         // minor page faults (the kernel's ru_minflt)
	anon   int64         // peak anonymous resident bytes (heap, stacks), sampled
	file   int64         // peak file-backed resident bytes (the mapped database), sampled
	out    []byte        // stdout
}

// measure runs the program and returns its wall time, CPU, peak memory and
// standard output. The resident memory is also sampled from /proc every
// 20 ms and split into anonymous and file-backed pages: the database is
// memory-mapped, and its pages count in the resident set without being
// heap.
func measure(bin string, args ...string) (usage, error) {
	cmd := exec.Command(bin, args...)
	var stdout bytes.Buffer
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return usage{}, err
	}
	done := make(chan struct{})
	sampled := make(chan [2]int64, 1)
	go func() { sampled <- sampleRSS(cmd.Process.Pid, done) }()
	err := cmd.Wait()
	close(done)
	peak := <-sampled
	u := usage{wall: time.Since(start), out: stdout.Bytes(), anon: peak[0], file: peak[1]}
	if err != nil {
		return u, fmt.Errorf("%s %v: %w\n%s", filepath.Base(bin), args, err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.rss = ru.Maxrss * 1024 // kilobytes on Linux
		u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		u.minflt = ru.Minflt
	}
	return u, nil
}

// sampleRSS reads RssAnon and RssFile of a process until done is closed
// and returns their peaks in bytes (zero where /proc has no such lines).
func sampleRSS(pid int, done <-chan struct{}) [2]int64 {
	var peak [2]int64
	path := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				for i, name := range []string{"RssAnon:", "RssFile:"} {
					if rest, ok := strings.CutPrefix(line, name); ok {
						var kb int64
						if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &kb); err == nil {
							peak[i] = max(peak[i], kb*1024)
						}
					}
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}

// selfCPU is the CPU time (user and system) this process has used: the
// fake API's work while a child runs.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// snapshotRecord is the part of a `backup --json` line the benchmark reads.
type snapshotRecord struct {
	Status  string `json:"status"`
	Changes *struct {
		Summary map[string]map[string]int64 `json:"summary"`
	} `json:"changes"`
}

// backup runs one backup with --json and returns its usage and record.
func backup(bin, cfg string) (usage, snapshotRecord, error) {
	u, err := measure(bin, "backup", "--config", cfg, "--json")
	var rec snapshotRecord
	if err != nil {
		return u, rec, err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(u.out)), "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		return u, rec, fmt.Errorf("backup --json: %w", err)
	}
	if rec.Status != "complete" {
		return u, rec, fmt.Errorf("backup status %q", rec.Status)
	}
	return u, rec, nil
}

// itemsChanged is the number of items the snapshot's change summary counts
// as changed since the snapshot before.
func (r snapshotRecord) itemsChanged() int64 {
	if r.Changes == nil {
		return 0
	}
	return r.Changes.Summary[kind.Items]["changed"]
}

// writeConfig writes a config for one workspace "acme" of the fake at url
// into dir and returns its path and the database's.
func writeConfig(dir, url string) (cfg, db string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		return "", "", err
	}
	db = filepath.Join(dir, "db", "enspace-sync.db")
	cfg = filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf("database: %s\nlog: {level: error}\nlisten: \"off\"\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n"+
		"    requests_per_second: 0\n    concurrency: %d\nworkspaces:\n  - name: acme\n    environment: local\n", db, url, concurrency)
	return cfg, db, os.WriteFile(cfg, []byte(text), 0o600)
}

// build compiles the program from the module root into dir.
func build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "enspace-sync")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/enspace-sync")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %w\n%s", err, out)
	}
	return bin, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// diskUsage is the disk space allocated to the file at path (its blocks),
// which for a sparse file is less than its size.
func diskUsage(path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	return st.Blocks * 512
}

// listPages counts the list requests between two request counts: the pages
// a backup read.
func listPages(before, after fakeapi.RequestCounts) int64 {
	var pages int64
	for name, n := range after.ByRoute {
		if strings.HasSuffix(name, ".list") {
			pages += n - before.ByRoute[name]
		}
	}
	return pages
}
