package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder wraps the fake's handler and, while on, notes the workspace
// header and request line of every GET: what a bare pager replays.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	on   bool
	reqs []string // "workspace\turi"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.on && req.Method == http.MethodGet {
		r.reqs = append(r.reqs, req.Header.Get("en-workspace")+"\t"+req.URL.RequestURI())
	}
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// record starts noting requests, and returns a function that stops and
// returns what was noted.
func (r *recorder) record() func() []string {
	r.mu.Lock()
	r.on, r.reqs = true, nil
	r.mu.Unlock()
	return func() []string {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.on = false
		return r.reqs
	}
}

// pagerRun measures the bare pager (this program, run as a child with
// -pager) sending reqs to the fake at url with the key in keyFile.
func pagerRun(self, url, keyFile, dir string, reqs []string) (usage, error) {
	path := dir + "/pager-requests"
	if err := os.WriteFile(path, []byte(strings.Join(reqs, "\n")+"\n"), 0o600); err != nil {
		return usage{}, err
	}
	return measure(self, "pager", path, url, keyFile)
}

// pagerRuns runs the bare pager o.pagerRuns times (at least once) and
// returns the median wall time and the median CPU, each on its own: one
// pager run takes a fifth of a CPU-second, which a busy machine moves by
// 15 – 30% from one run to the next, and it is the ratio's denominator.
func pagerRuns(o options, url, keyFile, dir string, reqs []string) (usage, error) {
	var walls, cpus []time.Duration
	var faults []int64
	for range max(o.pagerRuns, 1) {
		p, err := pagerRun(o.self, url, keyFile, dir, reqs)
		if err != nil {
			return usage{}, err
		}
		walls, cpus, faults = append(walls, p.wall), append(cpus, p.cpu), append(faults, p.minflt)
	}
	slices.Sort(faults)
	slices.Sort(walls)
	slices.Sort(cpus)
	return usage{wall: walls[len(walls)/2], cpu: cpus[len(cpus)/2], minflt: faults[len(faults)/2]}, nil
}

// loadAverage returns the machine's 1-minute load average (0 where
// /proc/loadavg cannot be read): the figures of a shared machine follow it.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// pagerMain runs the pager when the program was started as
// `bench pager FILE URL KEYFILE` (as pagerRun does) and reports whether it
// was.
func pagerMain() bool {
	if len(os.Args) != 5 || os.Args[1] != "pager" {
		return false
	}
	if err := pager(os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintf(os.Stderr, "pager: %v\n", err)
		os.Exit(1)
	}
	return true
}

// pager sends the GETs listed in the file at path ("workspace\turi" a
// line) to base, concurrency at a time, reading and discarding the
// bodies: the floor a backup sending the same requests could reach, with
// no decoding, hashing or storing.
func pager(path, base, keyFile string) error {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	lines := make(chan string)
	errs := make(chan error, concurrency)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for line := range lines {
				ws, uri, _ := strings.Cut(line, "\t")
				req, err := http.NewRequest(http.MethodGet, base+uri, nil)
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("x-api-key", strings.TrimSpace(string(key)))
				req.Header.Set("en-workspace", ws)
				req.Header.Set("Accept", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("GET %s: %s", uri, resp.Status)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		select {
		case lines <- sc.Text():
		case err := <-errs:
			close(lines)
			wg.Wait()
			return err
		}
	}
	close(lines)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return sc.Err()
}
