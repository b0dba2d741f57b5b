package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

var applyRuns = flag.Int("apply.runs", 4, "replicate runs to kill with SIGKILL in TestApplySurvivesKillsAndLostWrites")

// TestApplySurvivesKillsAndLostWrites copies acme into an empty workspace
// with replicate --include-data while the fake loses 5% of the writes
// (applied, then answered 500 or dropped) and the process is killed with
// SIGKILL again and again. Once a run gets to the end, the copy must hold
// every object of acme exactly once, with its references translated, and
// a new plan must have nothing to create or update. Run more with:
// go test ./cmd/enspace-sync -run TestApplySurvives -apply.runs 20
func TestApplySurvivesKillsAndLostWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes; not in -short")
	}
	began := time.Now()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 300,
		Faults: fakeapi.Faults{Latency: time.Millisecond, RateLostWrite: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	ks := &killSwitch{next: srv}
	hs := httptest.NewServer(ks)
	defer hs.Close()
	fc := &fakeClient{t: t, base: hs.URL}
	fc.createWorkspace("Acme (copy)", "acme-copy")
	dir := t.TempDir()
	cfg := writeReplicateConfig(t, dir, hs.URL)
	args := []string{"replicate", "--yes", "--from", "acme", "--to", "acme-copy", "--include-data", "--config", cfg}

	// A dry run tells how long planning takes and how many writes there are.
	start := time.Now()
	plan := runPlanJSON(t, append(args, "--dry-run", "--json")...)
	planning := time.Since(start)
	writes := plan.Actions["create"] + plan.Actions["update"]
	if writes == 0 {
		t.Fatalf("the first plan writes nothing: %v", plan.Actions)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	killed, ended, remaining := 0, 0, writes
	for i := 0; i < *applyRuns; i++ {
		cmd := selfCommand(args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Most kills come at a random write of the apply, while the
		// others are in flight; some during planning.
		how, stop := "", ks.disarm
		if rng.IntN(6) == 0 {
			d := time.Duration(rng.Int64N(int64(planning)))
			timer := time.AfterFunc(d, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
			stop = func() { timer.Stop() }
			how = fmt.Sprintf("%s into planning", d)
		} else {
			// Spread the kills over the whole apply: each run gets,
			// on average, an even share of the writes still to do.
			span := max(1, 2*remaining/(*applyRuns-i+1))
			nth, mode := 1+rng.IntN(span), killMode(rng.IntN(3))
			remaining = max(0, remaining-nth)
			ks.arm(cmd.Process, nth, mode, time.Duration(rng.Int64N(int64(3*time.Millisecond))))
			how = fmt.Sprintf("at write %d (%s)", nth, mode)
		}
		err := cmd.Wait()
		stop()
		switch code := exitStatus(err); {
		case code == -int(syscall.SIGKILL):
			killed++
		case code == 0 || code == ExitPartial:
			ended++ // it got to the end before the kill
		default:
			t.Fatalf("run %d (kill %s) ended with %v\n%s", i, how, err, out.String())
		}
		t.Logf("run %d: kill %s: %v", i, how, err)
	}
	for attempt := 1; ; attempt++ {
		out, err := runSelf(t, args...)
		code := exitStatus(err)
		if code == 0 {
			break
		}
		if code != ExitPartial || attempt == 4 {
			t.Fatalf("run %d to the end: %v\n%s", attempt, err, out)
		}
		t.Logf("run %d to the end left failed steps (exit 3); running it again:\n%s", attempt, failedLines(out))
	}
	checkCopy(t, fc, "acme", "acme-copy")
	again := runPlanJSON(t, append(args, "--dry-run", "--json")...)
	if again.Actions["create"] != 0 || again.Actions["update"] != 0 {
		t.Errorf("a new plan after the copy: %v, want no create and no update:\n%s", again.Actions, again.writeSteps())
	}
	c := srv.Requests()
	t.Logf("seed %d: %d runs, %d killed, %d ended by themselves; %d writes planned, planning takes %s; "+
		"%d lost writes injected, %d requests; total %s", seed, *applyRuns, killed, ended, writes,
		planning.Round(time.Millisecond), c.Faults[fakeapi.FaultLostWrite], c.Total, time.Since(began).Round(time.Millisecond))
}

// TestRestoreTypeTwiceUnderLostWrites restores a deleted type from the
// snapshot before its deletion while writes get lost, then restores it
// again: the type comes back with each of its items once, the invoices
// point at the new contracts again, and the second restore creates nothing.
func TestRestoreTypeTwiceUnderLostWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program several times; not in -short")
	}
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Faults: fakeapi.Faults{Latency: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	fc := &fakeClient{t: t, base: hs.URL}
	cfg := writeTestConfig(t, t.TempDir(), hs.URL, "concurrency: 4")

	contracts := fc.list("acme", "/ws/types/contracts/items")
	numberOf := map[string]string{} // contract id -> number, before the deletion
	for _, c := range contracts {
		numberOf[textOf(c["id"])] = textOf(dataOf(c)["number"])
	}
	wantNumber := map[string]string{} // invoice id -> the number of its contract
	for _, inv := range fc.list("acme", "/ws/types/invoices/items") {
		if id := textOf(dataOf(inv)["contract"]); id != "" {
			wantNumber[textOf(inv["id"])] = numberOf[id]
		}
	}
	if len(contracts) != 90 || len(wantNumber) == 0 {
		t.Fatalf("demo data: %d contracts and %d invoices with a contract, want 90 and some", len(contracts), len(wantNumber))
	}
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if status, body := fc.do("DELETE", "/ws/types/contracts", "acme", nil); status != http.StatusOK {
		t.Fatalf("delete the type: %d %s", status, body)
	}
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup after the deletion: %v\n%s", err, out)
	}
	srv.SetFaults(fakeapi.Faults{Latency: time.Millisecond, RateLostWrite: 0.05})
	args := []string{"restore", "--yes", "--snapshot", "latest~1", "type:contracts", "--config", cfg}
	for attempt := 1; ; attempt++ {
		out, err := runSelf(t, args...)
		if err == nil {
			break
		}
		if exitStatus(err) != ExitPartial || attempt == 3 {
			t.Fatalf("restore, run %d: %v\n%s", attempt, err, out)
		}
		t.Logf("restore run %d left failed steps (exit 3):\n%s", attempt, failedLines(out))
	}

	got := fc.list("acme", "/ws/types/contracts/items")
	if len(got) != len(contracts) {
		t.Errorf("contracts after the restore: %d items, want %d", len(got), len(contracts))
	}
	restored := map[string]string{} // new contract id -> number
	seen := map[string]int{}
	for _, c := range got {
		restored[textOf(c["id"])] = textOf(dataOf(c)["number"])
		seen[canonicalOf(dataOf(c))]++
	}
	for d, n := range seen {
		if n > 1 {
			t.Errorf("%d contracts hold the same data %s", n, d)
		}
	}
	for _, inv := range fc.list("acme", "/ws/types/invoices/items") {
		want, ok := wantNumber[textOf(inv["id"])]
		if !ok {
			continue
		}
		id := textOf(dataOf(inv)["contract"])
		number, exists := restored[id]
		switch {
		case !exists:
			t.Errorf("invoice %v: contract %q is not a contracts item", inv["id"], id)
		case number != want:
			t.Errorf("invoice %v: points at contract %s, want %s", inv["id"], number, want)
		}
	}
	again := runPlanJSON(t, append(args, "--json")...)
	if again.Actions["create"] != 0 {
		t.Errorf("the second restore: %v, want no create:\n%s", again.Actions, again.writeSteps())
	}
	t.Logf("second restore: %v; %d lost writes injected", again.Actions, srv.Requests().Faults[fakeapi.FaultLostWrite])
}

// killMode says when a kill armed on a write happens.
type killMode int

const (
	killBefore killMode = iota // the write never reaches the fake
	killAfter                  // the fake applies it; its answer is lost
	killLater                  // a moment after the write was let through
)

func (m killMode) String() string {
	return [...]string{"before it", "after it", "a moment after it"}[m]
}

// killSwitch passes requests to the fake and kills an armed process at
// its nth write (POST, PUT or DELETE).
type killSwitch struct {
	next http.Handler

	mu    sync.Mutex
	proc  *os.Process
	left  int
	mode  killMode
	delay time.Duration
	timer *time.Timer
}

func (k *killSwitch) arm(p *os.Process, nth int, mode killMode, delay time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.proc, k.left, k.mode, k.delay = p, nth, mode, delay
}

func (k *killSwitch) disarm() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.timer != nil {
		k.timer.Stop()
	}
	k.proc, k.timer = nil, nil
}

func (k *killSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		k.next.ServeHTTP(w, r)
		return
	}
	k.mu.Lock()
	var fire *os.Process
	if k.proc != nil {
		if k.left--; k.left == 0 {
			fire = k.proc
		}
	}
	mode, delay := k.mode, k.delay
	if fire != nil && mode == killLater {
		k.timer = time.AfterFunc(delay, func() { _ = fire.Signal(syscall.SIGKILL) })
	}
	k.mu.Unlock()
	if fire != nil && mode == killBefore {
		_ = fire.Signal(syscall.SIGKILL)
		http.Error(w, "killed", http.StatusBadGateway)
		return
	}
	k.next.ServeHTTP(w, r)
	if fire != nil && mode == killAfter {
		_ = fire.Signal(syscall.SIGKILL)
	}
}

// exitStatus is a finished command's exit code, minus the signal number
// when a signal ended it.
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1000
}

// failedLines picks the FAILED lines of an apply's output.
func failedLines(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "FAILED") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// writeReplicateConfig writes a key file and a config with acme and
// acme-copy on the fake at url, with integration secrets for the copy.
func writeReplicateConfig(t *testing.T, dir, url string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`database: %s
log: {level: error}
environments:
  local:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
    concurrency: 8
    secrets:
      certisign: {token: cs-copy-token-1}
      sendgrid: {api_key: SG.copy.key-1}
workspaces:
  - name: acme
    environment: local
  - name: acme-copy
    environment: local
`, filepath.Join(dir, "db", "enspace-sync.db"), url)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// planOutput is the part of restore's and replicate's --json output that
// the tests read.
type planOutput struct {
	Actions map[string]int `json:"actions"`
	Steps   []struct {
		Kind   string `json:"kind"`
		Parent string `json:"parent"`
		Key    string `json:"key"`
		Action string `json:"action"`
		Reason string `json:"reason"`
	} `json:"steps"`
}

func (p *planOutput) writeSteps() string {
	var b strings.Builder
	for _, s := range p.Steps {
		if s.Action == "create" || s.Action == "update" {
			fmt.Fprintf(&b, "  %s %s %s/%s: %s\n", s.Action, s.Kind, s.Parent, s.Key, s.Reason)
		}
	}
	return b.String()
}

// runPlanJSON runs a restore or replicate with --json that must exit 0.
func runPlanJSON(t *testing.T, args ...string) *planOutput {
	t.Helper()
	cmd := selfCommand(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(args, " "), err, stderr.String(), failedLines(stdout.String()))
	}
	var p planOutput
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return &p
}

// fakeClient reads and writes the fake over HTTP as the demo key.
type fakeClient struct {
	t    *testing.T
	base string
}

func (c *fakeClient) do(method, path, ws string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("Content-Type", "application/json")
	if ws != "" {
		req.Header.Set("en-workspace", ws)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// createWorkspace creates a workspace, sending again when the answer is
// lost, and checks that it exists once.
func (c *fakeClient) createWorkspace(name, slug string) {
	c.t.Helper()
	for range 5 {
		status, body := c.do("POST", "/workspaces", "", map[string]string{"name": name, "slug": slug})
		if status == http.StatusOK || strings.Contains(string(body), "already exists") {
			break
		}
	}
	n := 0
	for _, w := range c.list("", "/workspaces") {
		if w["slug"] == slug {
			n++
		}
	}
	if n != 1 {
		c.t.Fatalf("workspace %s: %d after creating it, want 1", slug, n)
	}
}

// list reads every page of a list.
func (c *fakeClient) list(ws, path string) []map[string]any {
	c.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []map[string]any
	for page := 1; ; page++ {
		status, body := c.do("GET", fmt.Sprintf("%s%spage=%d&limit=100", path, sep, page), ws, nil)
		if status != http.StatusOK {
			c.t.Fatalf("GET %s in %s: %d %s", path, ws, status, body)
		}
		var rows []map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&rows); err != nil {
			c.t.Fatalf("GET %s in %s: %v", path, ws, err)
		}
		all = append(all, rows...)
		if len(rows) < 100 {
			return all
		}
	}
}

func textOf(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func dataOf(o map[string]any) map[string]any {
	d, _ := o["data"].(map[string]any)
	return d
}

func canonicalOf(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func sortStrings(list []string) []string {
	sort.Strings(list)
	return list
}

// checkCopy compares the workspace dst with src over HTTP: every object
// of src once in dst, by natural key or, for items, by content, with its
// references pointing at the matching objects of dst.
func checkCopy(t *testing.T, fc *fakeClient, src, dst string) {
	t.Helper()
	a, b := readWorkspace(fc, src), readWorkspace(fc, dst)
	for _, kind := range []string{"types", "roles", "groups", "members", "quick-tasks", "integrations"} {
		ka, kb := a.keys(t, kind), b.keys(t, kind)
		if got, want := strings.Join(kb, ", "), strings.Join(ka, ", "); got != want {
			t.Errorf("%s in %s: [%s], want those of %s: [%s]", kind, dst, got, src, want)
		}
	}
	for _, slug := range a.keys(t, "types") {
		ka, kb := a.keys(t, "fields/"+slug), b.keys(t, "fields/"+slug)
		if got, want := strings.Join(kb, ", "), strings.Join(ka, ", "); got != want {
			t.Errorf("fields of %s in %s: [%s], want [%s]", slug, dst, got, want)
		}
		sa, sb := a.itemSignatures(slug), b.itemSignatures(slug)
		if len(sb) != len(sa) {
			t.Errorf("items of %s: %d in %s, want %d", slug, len(sb), dst, len(sa))
		}
		shared, shown := 0, 0
		for sig, n := range sa {
			if n > 1 {
				shared += n
			}
			if sb[sig] != n && shown < 5 {
				shown++
				t.Errorf("items of %s: %d in %s hold %s, want %d", slug, sb[sig], dst, sig, n)
			}
		}
		for sig, n := range sb {
			if sa[sig] == 0 && shown < 5 {
				shown++
				t.Errorf("items of %s: %d in %s hold %s, which %s lacks", slug, n, dst, sig, src)
			}
		}
		if shared > 0 {
			t.Logf("items of %s: %d in %s share their data with another", slug, shared, src)
		}
	}
	// Each invoice points at the contract of the same number.
	want := map[string]string{}
	for _, inv := range a.items["invoices"] {
		want[textOf(dataOf(inv)["number"])] = a.refLabel("contracts", dataOf(inv)["contract"])
	}
	for _, inv := range b.items["invoices"] {
		number := textOf(dataOf(inv)["number"])
		if got := b.refLabel("contracts", dataOf(inv)["contract"]); got != want[number] {
			t.Errorf("invoice %s in %s points at contract %s, want %s", number, dst, got, want[number])
		}
	}
	for _, kind := range []string{"roles", "groups", "members", "quick-tasks"} {
		for key, o := range a.byKey[kind] {
			if got, want := b.describe(kind, b.byKey[kind][key]), a.describe(kind, o); got != want {
				t.Errorf("%s %s in %s: %s, want %s", kind, key, dst, got, want)
			}
		}
	}
}

// workspaceView is what checkCopy reads of a workspace.
type workspaceView struct {
	name  string
	byKey map[string]map[string]map[string]any // kind (fields/TYPE) -> natural key -> object
	dups  map[string][]string                  // kind -> keys held by more than one object
	items map[string][]map[string]any          // type slug -> items
	byID  map[string]map[string]map[string]any // kind or type slug -> id -> object
	rels  map[string]map[string]string         // type slug -> relation field slug -> target type
}

func readWorkspace(fc *fakeClient, ws string) *workspaceView {
	v := &workspaceView{name: ws, byKey: map[string]map[string]map[string]any{}, dups: map[string][]string{},
		items: map[string][]map[string]any{}, byID: map[string]map[string]map[string]any{},
		rels: map[string]map[string]string{}}
	key := map[string]func(o map[string]any) string{
		"types":        func(o map[string]any) string { return textOf(o["slug"]) },
		"roles":        func(o map[string]any) string { return textOf(o["slug"]) },
		"groups":       func(o map[string]any) string { return textOf(o["name"]) },
		"members":      func(o map[string]any) string { return textOf(o["email"]) },
		"quick-tasks":  func(o map[string]any) string { return textOf(o["title"]) },
		"integrations": func(o map[string]any) string { m, _ := o["integration"].(map[string]any); return textOf(m["slug"]) },
	}
	paths := map[string]string{"types": "/ws/types", "roles": "/ws/roles", "groups": "/ws/member-groups",
		"members": "/ws/members", "quick-tasks": "/ws/quick-tasks", "integrations": "/workspace-integrations"}
	for kind, path := range paths {
		v.add(kind, fc.list(ws, path), key[kind])
	}
	for slug := range v.byKey["types"] {
		fields := fc.list(ws, "/ws/types/"+slug+"/fields")
		v.add("fields/"+slug, fields, key["types"])
		v.rels[slug] = map[string]string{}
		for _, f := range fields {
			if f["type"] == "relation" {
				opts, _ := f["options"].(map[string]any)
				v.rels[slug][textOf(f["slug"])] = textOf(opts["type"])
			}
		}
		v.items[slug] = fc.list(ws, "/ws/types/"+slug+"/items")
		v.byID[slug] = map[string]map[string]any{}
		for _, it := range v.items[slug] {
			v.byID[slug][textOf(it["id"])] = it
		}
	}
	return v
}

func (v *workspaceView) add(kind string, rows []map[string]any, key func(map[string]any) string) {
	v.byKey[kind], v.byID[kind] = map[string]map[string]any{}, map[string]map[string]any{}
	for _, o := range rows {
		k := key(o)
		if _, dup := v.byKey[kind][k]; dup {
			v.dups[kind] = append(v.dups[kind], k)
		}
		v.byKey[kind][k] = o
		v.byID[kind][textOf(o["id"])] = o
	}
}

// keys returns the natural keys of a kind, sorted, and fails on duplicates.
func (v *workspaceView) keys(t *testing.T, kind string) []string {
	t.Helper()
	if d := v.dups[kind]; len(d) > 0 {
		t.Errorf("%s in %s: duplicated: %s", kind, v.name, strings.Join(sortStrings(d), ", "))
	}
	out := make([]string, 0, len(v.byKey[kind]))
	for k := range v.byKey[kind] {
		out = append(out, k)
	}
	return sortStrings(out)
}

// plain is an item's data without its relation values, as canonical JSON.
func (v *workspaceView) plain(slug string, it map[string]any) string {
	d := map[string]any{}
	for k, val := range dataOf(it) {
		if _, rel := v.rels[slug][k]; !rel {
			d[k] = val
		}
	}
	return canonicalOf(d)
}

// refLabel describes the items a relation value points at by their plain data.
func (v *workspaceView) refLabel(slug string, val any) string {
	ids, ok := val.([]any)
	if !ok {
		ids = []any{val}
	}
	var out []string
	for _, id := range ids {
		if id == nil {
			out = append(out, "null")
		} else if it := v.byID[slug][textOf(id)]; it != nil {
			out = append(out, v.plain(slug, it))
		} else {
			out = append(out, "(missing "+slug+" "+textOf(id)+")")
		}
	}
	return strings.Join(out, " ")
}

// itemSignatures counts a type's items by their plain data and what their
// relation values point at.
func (v *workspaceView) itemSignatures(slug string) map[string]int {
	out := map[string]int{}
	for _, it := range v.items[slug] {
		sig := v.plain(slug, it)
		for _, f := range sortStrings(relationSlugs(v.rels[slug])) {
			if val, has := dataOf(it)[f]; has {
				sig += " " + f + "->" + v.refLabel(v.rels[slug][f], val)
			}
		}
		out[sig]++
	}
	return out
}

// describe renders what must be equal of a role, group, member or quick
// task, with references as natural keys.
func (v *workspaceView) describe(name kind.Name, o map[string]any) string {
	if o == nil {
		return "missing"
	}
	names := func(of, field string, ids any) string {
		list, _ := ids.([]any)
		var out []string
		for _, id := range list {
			out = append(out, textOf(v.byID[of][textOf(id)][field]))
		}
		return strings.Join(sortStrings(out), ",")
	}
	switch name {
	case kind.Roles:
		list, _ := o["permissions"].([]any)
		var perms []string
		for _, p := range list {
			m, _ := p.(map[string]any)
			perms = append(perms, fmt.Sprintf("%s:%s:%s", m["entity"], m["action"], canonicalOf(m["rules"])))
		}
		return fmt.Sprintf("%s permissions [%s]", o["name"], strings.Join(sortStrings(perms), " "))
	case kind.Groups:
		return fmt.Sprintf("users [%s]", names("members", "email", o["users"]))
	case kind.Members:
		return fmt.Sprintf("%s %s role %q", o["type"], o["status"], textOf(v.byID["roles"][textOf(o["role"])]["slug"]))
	}
	as, _ := o["assignees"].(map[string]any)
	item := "none"
	if ref, ok := o["item"].(map[string]any); ok {
		item = textOf(ref["type"]) + " " + v.refLabel(textOf(ref["type"]), ref["id"])
	}
	return fmt.Sprintf("%s %s due %v members [%s] groups [%s] item %s", o["status"], o["description"], o["due_date"],
		names("members", "email", as["members"]), names("groups", "name", as["groups"]), item)
}

func relationSlugs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
