package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3fault"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3test"
)

// The offsite suites against a real S3-compatible server: SeaweedFS, which
// .ci/run starts, or any endpoint the ENSPACE_TEST_S3_* variables name
// (docs/testing.md). Each runs the real program as a separate process, as
// a user would, and reaches the server through the fault proxy
// (internal/offsite/s3fault) where it needs faults or a kill at a chosen
// request.

// TestOffsiteS3DisasterRecovery is the round trip: ten days of
// backups, pushed; a push killed with SIGKILL halfway (after some of its
// snapshot records, before the others) leaves only complete snapshots
// visible; the next push finishes the job; the local database is wiped and
// rebuilt from the bucket with restore-db; the rebuilt database verifies
// and every snapshot exports and diffs exactly as the original's; and the
// bucket's raw bytes hold no workspace slug, item value or API key.
func TestOffsiteS3DisasterRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an S3 server and the program many times; not in -short")
	}
	srv := s3test.Get(t)
	proxy, err := s3fault.Start(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	fake := newChurnFake(t, 300)
	prefix := s3test.Prefix(t)
	viaProxy := *srv
	viaProxy.Endpoint = proxy.URL()
	d := newS3Daemon(t, srv, "alpha", fake.hs.URL, viaProxy.URL(prefix), "acme")

	// Days 1-4, pushed.
	for day := 1; day <= 4; day++ {
		fake.day(t, "acme", day)
		d.run(t, "backup")
	}
	var push []struct {
		Pushed   []string `json:"pushed"`
		Uploaded int64    `json:"uploaded_bytes"`
		Pending  int      `json:"pending"`
	}
	if err := json.Unmarshal([]byte(d.run(t, "offsite", "push", "--json")), &push); err != nil || len(push) != 1 || len(push[0].Pushed) != 4 {
		t.Fatalf("first push: %v %+v, want 4 snapshots pushed", err, push)
	}
	// An unchanged push uploads nothing but its lock.
	before := proxy.Stats().UploadedBytes
	d.run(t, "offsite", "push")
	if up := proxy.Stats().UploadedBytes - before; up > 4096 {
		t.Errorf("a push with nothing new uploaded %d bytes, want at most a few KB", up)
	}

	// Days 5-10; the push is killed when it uploads its third snapshot
	// record: two of the six are on the target, the rest not.
	for day := 5; day <= 10; day++ {
		fake.day(t, "acme", day)
		d.run(t, "backup")
	}
	killPushAt(t, d, proxy, s3fault.OnPath("PUT", "/snapshots/", s3fault.Nth(3, s3fault.Stall)))
	if got := len(d.offsiteSnapshots(t)); got != 6 {
		t.Errorf("after the killed push the target lists %d snapshots, want 6 (4, then 2 of the killed push)", got)
	}
	// What the killed push left must verify: its records are complete,
	// its unfinished pack or index is not referenced.
	d.run(t, "offsite", "verify", "--read-data")
	// A second push killed as it uploads its first pack: no record more.
	killPushAt(t, d, proxy, s3fault.OnPath("PUT", "/data/", s3fault.Nth(1, s3fault.Stall)))
	if got := len(d.offsiteSnapshots(t)); got != 6 && got != 7 {
		t.Errorf("after the push killed in a pack the target lists %d snapshots, want 6 or 7", got)
	}
	d.run(t, "offsite", "verify", "--read-data")

	if err := json.Unmarshal([]byte(d.run(t, "offsite", "push", "--json")), &push); err != nil || len(push[0].Pushed) == 0 || push[0].Pending != 0 {
		t.Fatalf("push after the kills: %v %+v, want the missing snapshots pushed", err, push)
	}
	snaps := d.snapshots(t)
	if len(snaps) != 10 {
		t.Fatalf("%d local snapshots, want 10", len(snaps))
	}
	if got := d.offsiteSnapshots(t); len(got) != 10 {
		t.Fatalf("the target lists %d snapshots, want 10", len(got))
	}

	// Lose the machine: keep the original database aside (to compare),
	// rebuild from the bucket alone, directly (no proxy), with the
	// credentials in the AWS variables.
	original := filepath.Join(d.dir, "original.db")
	if err := os.Rename(d.db, original); err != nil {
		t.Fatal(err)
	}
	d.cfg = d.restoredConfig(t, original)
	d.db = original
	rebuilt := filepath.Join(t.TempDir(), "rebuilt", "enspace-sync.db")
	restore := selfCommand("offsite", "restore-db", "--from", srv.URL(prefix), "--to", rebuilt, "--password-file", d.pwFile, "--json")
	restore.Env = append(restore.Env, "AWS_ACCESS_KEY_ID="+srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+srv.SecretAccessKey)
	var stdout, stderr strings.Builder
	restore.Stdout, restore.Stderr = &stdout, &stderr
	if err := restore.Run(); err != nil {
		t.Fatalf("restore-db: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	// --json's stdout is the report alone (the progress goes to stderr).
	var report struct {
		Snapshots []string `json:"snapshots"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	if err := dec.Decode(&report); err != nil || len(report.Snapshots) != 10 || dec.More() {
		t.Fatalf("restore-db --json printed %q (%v), want one report of 10 snapshots", stdout.String(), err)
	}
	rebuiltCfg := d.restoredConfig(t, rebuilt)
	if out, err := runSelfOut("verify", "--config", rebuiltCfg, "--read-data"); err != nil {
		t.Fatalf("verify --read-data of the rebuilt database: %v\n%s", err, out)
	}
	sameSnapshots(t, d, rebuiltCfg, snaps)
	d.run(t, "offsite", "verify", "--read-data")

	// Nothing readable left the machine.
	secrets := append([]string{fakeapi.DemoAPIKey, `"acme"`, "acme-stage", "@acme.com", offsitePassword}, fake.planted...)
	noLeaks(t, bucketBytes(t, srv, prefix), secrets...)
}

// TestOffsiteS3TwoDaemonsOneBucket pushes two daemons with different names
// to one target at the same time, then rebuilds each one's database from
// the bucket on its own.
func TestOffsiteS3TwoDaemonsOneBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an S3 server and the program many times; not in -short")
	}
	srv := s3test.Get(t)
	fake := newChurnFake(t, 200)
	prefix := s3test.Prefix(t)
	alpha := newS3Daemon(t, srv, "alpha", fake.hs.URL, srv.URL(prefix), "acme")
	beta := newS3Daemon(t, srv, "beta", fake.hs.URL, srv.URL(prefix), "acme-stage")
	for day := 1; day <= 3; day++ {
		fake.day(t, "acme", day)
		fake.day(t, "acme-stage", day)
		alpha.run(t, "backup")
		beta.run(t, "backup")
	}
	// Both push at once, twice: onto an empty target (both may create its
	// repository; they must end with one key), then again after more
	// backups.
	for round := 1; round <= 2; round++ {
		done := make(chan string, 2)
		for _, d := range []*s3Daemon{alpha, beta} {
			go func() {
				out, err := d.try("offsite", "push")
				if err != nil {
					done <- d.name + ": " + err.Error() + "\n" + out
					return
				}
				done <- ""
			}()
		}
		for range 2 {
			if msg := <-done; msg != "" {
				t.Errorf("round %d: concurrent push failed: %s", round, msg)
			}
		}
		if round == 1 {
			fake.day(t, "acme", 4)
			fake.day(t, "acme-stage", 4)
			alpha.run(t, "backup")
			beta.run(t, "backup")
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	var keys []struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal([]byte(beta.run(t, "offsite", "keys", "--json")), &keys); err != nil || len(keys) != 1 || len(keys[0].Keys) != 1 {
		t.Errorf("offsite keys --json: %v %s, want one key after the concurrent creation", err, beta.run(t, "offsite", "keys", "--json"))
	}
	names := map[string]int{}
	for _, s := range alpha.offsiteSnapshots(t) {
		names[s.Name+"/"+s.Workspace]++
	}
	if names["alpha/acme"] != 4 || names["beta/acme-stage"] != 4 || len(names) != 2 {
		t.Errorf("offsite snapshots lists %v, want 4 of alpha/acme and 4 of beta/acme-stage", names)
	}
	for _, d := range []*s3Daemon{alpha, beta} {
		rebuilt := filepath.Join(t.TempDir(), d.name+".db")
		out, err := runSelfOut("offsite", "restore-db", "--from", srv.URL(prefix), "--to", rebuilt, "--password-file", d.pwFile,
			"--name", d.name, "--access-key-id-file", d.idFile, "--secret-access-key-file", d.secretFile)
		if err != nil {
			t.Fatalf("restore-db --name %s: %v\n%s", d.name, err, out)
		}
		cfg := d.restoredConfig(t, rebuilt)
		if out, err := runSelfOut("verify", "--config", cfg, "--read-data"); err != nil {
			t.Fatalf("verify --read-data of %s's rebuilt database: %v\n%s", d.name, err, out)
		}
		sameSnapshots(t, d, cfg, d.snapshots(t))
	}
	alpha.run(t, "offsite", "verify", "--read-data")
}

// TestOffsiteS3PushThroughFaults pushes through a proxy that answers 503
// SlowDown, resets connections, loses answers and cuts uploads: pushes
// are repeated (as the daemon's retries would) until one succeeds, and the
// target then verifies and restores to the same snapshots.
func TestOffsiteS3PushThroughFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an S3 server and the program many times; not in -short")
	}
	srv := s3test.Get(t)
	proxy, err := s3fault.Start(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	fake := newChurnFake(t, 200)
	prefix := s3test.Prefix(t)
	viaProxy := *srv
	viaProxy.Endpoint = proxy.URL()
	d := newS3Daemon(t, srv, "alpha", fake.hs.URL, viaProxy.URL(prefix), "acme")
	// Each fault at least once, on uploads 2, 4, 6 and 8 (of packs, index
	// files, records or locks), then any of them on 12% of all requests.
	proxy.SetRule(s3fault.First(
		s3fault.Only("PUT", s3fault.First(s3fault.Nth(2, s3fault.SlowDown), s3fault.Nth(4, s3fault.Reset),
			s3fault.Nth(6, s3fault.LoseAnswer), s3fault.Nth(8, s3fault.Truncate))),
		s3fault.Random(20, 0.12, s3fault.SlowDown, s3fault.Reset, s3fault.LoseAnswer, s3fault.Truncate)))
	var failures []string
	for day := 1; day <= 3; day++ {
		fake.day(t, "acme", day)
		d.run(t, "backup")
		for attempt := 1; ; attempt++ {
			out, err := d.try("offsite", "push")
			if err == nil {
				break
			}
			failures = append(failures, firstLine(out))
			if attempt == 8 {
				t.Fatalf("day %d: 8 pushes failed; the last: %v\n%s", day, err, out)
			}
		}
	}
	st := proxy.Stats()
	t.Logf("%d requests: %v; %d failed pushes: %q", st.Requests, st.ByFault, len(failures), failures)
	for _, f := range []string{"slowdown", "reset", "lose-answer", "truncate"} {
		if st.ByFault[f] == 0 {
			t.Errorf("no %s injected: the pushes made fewer than 8 uploads", f)
		}
	}
	proxy.SetRule(nil)
	d.run(t, "offsite", "verify", "--read-data")
	rebuilt := filepath.Join(t.TempDir(), "rebuilt.db")
	if out, err := runSelfOut("offsite", "restore-db", "--from", srv.URL(prefix), "--to", rebuilt, "--password-file", d.pwFile,
		"--access-key-id-file", d.idFile, "--secret-access-key-file", d.secretFile); err != nil {
		t.Fatalf("restore-db: %v\n%s", err, out)
	}
	snaps := d.snapshots(t)
	remote := d.offsiteSnapshots(t)
	ids := func(n int, id func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id(i)
		}
		sort.Strings(out)
		return out
	}
	if a, b := ids(len(snaps), func(i int) string { return snaps[i].ID }), ids(len(remote), func(i int) string { return remote[i].ID }); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("local snapshots %v, on the target %v", a, b)
	}
	sameSnapshots(t, d, d.restoredConfig(t, rebuilt), snaps)
}

// killPushAt starts a push through proxy, waits until rule stalls one of
// its requests, kills it with SIGKILL, and lets requests pass again.
func killPushAt(t *testing.T, d *s3Daemon, proxy *s3fault.Proxy, rule s3fault.Rule) {
	t.Helper()
	proxy.SetRule(rule)
	defer proxy.SetRule(nil)
	cmd := selfCommand("offsite", "push", "--config", d.cfg)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-proxy.Stalled():
		t.Logf("killing the push at %s %s", r.Method, r.Path)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the push never reached the request to stall\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	if err := cmd.Wait(); err == nil {
		t.Fatalf("the killed push exited 0\n%s", out.String())
	}
}

// lockedBuffer is an output buffer a process writes to while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// TestOffsiteS3Daemon runs the daemon (the real program, `run`) with an S3
// target: the catch-up backup at start is pushed after it, /metrics and
// `status` show the target's push, and once the target has received
// nothing for longer than its stale_after, the push that finds it tells
// the webhook, once.
func TestOffsiteS3Daemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an S3 server and the daemon; not in -short")
	}
	srv := s3test.Get(t)
	fake := newChurnFake(t, 100)
	bodies := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
	}))
	defer hook.Close()
	d := newS3Daemon(t, srv, "alpha", fake.hs.URL, srv.URL(s3test.Prefix(t)), "acme")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	cfg, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(cfg), "    password_file: "+d.pwFile+"\n", "    password_file: "+d.pwFile+"\n    stale_after: 8s\n", 1) +
		"listen: " + listen + "\nnotify:\n  webhook_url: " + hook.URL + "/hook\n"
	if err := os.WriteFile(d.cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := selfCommand("run", "--config", d.cfg)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	metric := func(name string) (float64, bool) {
		resp, err := http.Get("http://" + listen + "/metrics")
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, l := range strings.Split(string(body), "\n") {
			if rest, ok := strings.CutPrefix(l, name+" "); ok {
				var v float64
				_, err := fmt.Sscan(rest, &v)
				return v, err == nil
			}
		}
		return 0, false
	}
	type status struct {
		StartedAt  time.Time `json:"started_at"`
		Workspaces []struct {
			Name    string `json:"name"`
			Kind    string `json:"kind"`
			Offsite *struct {
				LastPush     *time.Time `json:"last_push"`
				LastReceived time.Time  `json:"last_received"`
				Pending      int        `json:"pending"`
				StaleAfter   float64    `json:"stale_after_seconds"`
			} `json:"offsite"`
		} `json:"workspaces"`
	}
	target := func() (status, int) {
		var st status
		out, err := d.try("status", "--json")
		if err == nil && json.Unmarshal([]byte(out), &st) == nil {
			for i, w := range st.Workspaces {
				if w.Name == "offsite:s3" && w.Kind == "offsite" && w.Offsite != nil {
					return st, i
				}
			}
		}
		return st, -1
	}
	// The snapshot has reached the target when a push delivered one since
	// the daemon started and left nothing pending.
	deadline := time.Now().Add(90 * time.Second)
	for {
		st, i := target()
		if i >= 0 {
			o := st.Workspaces[i].Offsite
			if o.LastReceived.After(st.StartedAt) && o.Pending == 0 && o.LastPush != nil {
				if o.StaleAfter != 8 {
					t.Errorf("status: stale_after_seconds = %v, want 8", o.StaleAfter)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backup at start was not pushed within 90 s: %+v\n%s", st, out.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if v, _ := metric(`enspace_sync_offsite_uploaded_bytes_total{target="s3"}`); v < 1000 {
		t.Errorf("uploaded_bytes_total = %v, want the first push's bytes", v)
	}
	if v, _ := metric(`enspace_sync_offsite_pushes_total{status="complete",target="s3"}`); v < 1 {
		t.Errorf("pushes_total{complete} = %v", v)
	}
	if text := d.run(t, "status"); !strings.Contains(text, "offsite:s3") || !strings.Contains(text, "last push") || !strings.Contains(text, "(stale after 8s)") {
		t.Errorf("status:\n%s", text)
	}

	// A slow start may have found the target stale before the first
	// delivery: that notice is not the one under test.
	for len(bodies) > 0 {
		<-bodies
	}
	time.Sleep(9 * time.Second) // longer than stale_after, and no backup
	d.run(t, "trigger", "--wait", "offsite:s3")
	var body string
	select {
	case body = <-bodies:
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook call for the stale target\n%s", out.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	text, _ = got["text"].(string)
	if got["kind"] != "offsite" || got["workspace"] != "offsite:s3" || !strings.Contains(text, "offsite target s3 has received no snapshot for") {
		t.Errorf("webhook body = %s", body)
	}
	if v, _ := metric(`enspace_sync_offsite_stale{target="s3"}`); v != 1 {
		t.Errorf("offsite_stale = %v, want 1", v)
	}
	d.run(t, "trigger", "--wait", "offsite:s3")
	select {
	case b := <-bodies:
		t.Errorf("a second notice while still stale: %s", b)
	case <-time.After(time.Second):
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("run after SIGTERM: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), srv.SecretAccessKey) || strings.Contains(out.String(), offsitePassword) {
		t.Error("the daemon's log holds the S3 secret or the repository password")
	}
}
