package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// writeLog records the writes a fake received: method, path, body and the
// status it answered.
type writeLog struct {
	srv  *fakeapi.Server
	next http.Handler
	mu   sync.Mutex
	log  []write
}

type write struct {
	method, path string
	body         []byte
	status       int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

func (l *writeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		l.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	l.next.ServeHTTP(rec, r)
	l.mu.Lock()
	l.log = append(l.log, write{method: r.Method, path: r.URL.Path, body: body, status: rec.status})
	l.mu.Unlock()
}

// take returns the writes recorded so far and forgets them.
func (l *writeLog) take() []write {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.log
	l.log = nil
	return out
}

// forUpdateVariants runs a test against a fake whose item updates merge
// data and against one whose item updates replace it (the contract,
// section 6); update holds the switch.
func forUpdateVariants(t *testing.T, test func(t *testing.T, update fakeapi.Options)) {
	t.Run("merge", func(t *testing.T) { test(t, fakeapi.Options{MergeOnUpdate: true}) })
	t.Run("replace", func(t *testing.T) { test(t, fakeapi.Options{ReplaceOnUpdate: true}) })
}

// startRequiredFake starts the demo fake with contracts.client required,
// item updates as update says.
func startRequiredFake(t *testing.T, update fakeapi.Options) (*writeLog, *fakeClient, string) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", RequiredRelations: true,
		MergeOnUpdate: update.MergeOnUpdate, ReplaceOnUpdate: update.ReplaceOnUpdate})
	if err != nil {
		t.Fatal(err)
	}
	wl := &writeLog{srv: srv, next: srv}
	hs := httptest.NewServer(wl)
	t.Cleanup(hs.Close)
	return wl, &fakeClient{t: t, base: hs.URL}, hs.URL
}

var appliedLine = regexp.MustCompile(`(?m)^Applied: (\d+) done, (\d+) failed, (\d+) manual, (\d+) already equal$`)

// applyOK runs a restore or replicate that must apply with no failed step,
// and returns its output.
func applyOK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runSelf(t, args...)
	m := appliedLine.FindStringSubmatch(out)
	if err != nil || m == nil || m[2] != "0" {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("%s: %s", args[0], m[0])
	return out
}

// checkWrites fails on a write the fake refused, on a PUT of an item of a
// type outside only that does not write its link, and on a write of null.
// Such a PUT sends the item's other values as the target holds them (a
// server may replace data on update): the diff after it shows they did not
// change.
func checkWrites(t *testing.T, writes []write, outside map[string]bool) (creates, puts int) {
	t.Helper()
	for _, w := range writes {
		if w.status/100 != 2 {
			t.Errorf("%s %s %s: answered %d", w.method, w.path, w.body, w.status)
		}
		if strings.Contains(string(w.body), "null") && strings.Contains(w.path, "/items") {
			t.Errorf("%s %s %s: writes null", w.method, w.path, w.body)
		}
		parts := strings.Split(strings.Trim(w.path, "/"), "/") // ws types SLUG items [ID]
		if len(parts) < 4 || parts[3] != kind.Items {
			continue
		}
		switch w.method {
		case http.MethodPost:
			creates++
		case http.MethodPut:
			puts++
			if outside[parts[2]] {
				var body struct {
					Data map[string]json.RawMessage `json:"data"`
				}
				_ = json.Unmarshal(w.body, &body)
				if body.Data["contract"] == nil {
					t.Errorf("PUT %s %s: an object outside the selection written without its link", w.path, w.body)
				}
			}
		default:
			t.Errorf("%s %s: unexpected", w.method, w.path)
		}
	}
	return creates, puts
}

// TestRestoreDeletedTypeWithRequiredRelation: contracts.client is a
// required relation. Deleting the type contracts and restoring it from the
// snapshot before creates each contract with its client, re-links the
// invoices and nothing else, and leaves a workspace that differs from the
// first snapshot only in what the server assigns; a second restore has
// nothing to write.
func TestRestoreDeletedTypeWithRequiredRelation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startRequiredFake(t, update)
		dir := t.TempDir()
		cfg := writeTestConfig(t, dir, url, "")
		applyBackup := func() {
			if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
		}
		applyBackup()
		if status, body := fc.do("DELETE", "/ws/types/contracts", "acme", nil); status != 200 {
			t.Fatalf("delete type: %d %s", status, body)
		}
		applyBackup()
		wl.take()
		applyOK(t, "restore", "--yes", "--config", cfg, "--snapshot", "latest~1", "type:contracts")
		creates, puts := checkWrites(t, wl.take(), map[string]bool{"invoices": true, "clients": true})
		t.Logf("restore: %d item creates, %d item updates", creates, puts)
		if creates != 90 || puts != 120 {
			t.Errorf("%d item creates and %d item updates, want 90 contracts and 120 invoice links", creates, puts)
		}
		applyBackup()
		out, err := runSelf(t, "diff", "--config", cfg, "latest~2", "latest")
		if err != nil {
			t.Fatalf("diff: %v\n%s", err, out)
		}
		for _, re := range []string{`(?m)^(types|fields|items|roles):`} {
			if regexp.MustCompile(re).MatchString(out) {
				t.Errorf("diff against the first snapshot shows more than noise:\n%s", out)
			}
		}
		if !strings.Contains(out, "items 210 server-only") {
			t.Errorf("diff: want the 210 re-created and re-linked items as server-only noise:\n%s", out)
		}
		again := runPlanJSON(t, "restore", "--config", cfg, "--snapshot", "latest~2", "type:contracts", "--dry-run", "--json")
		if again.Actions["create"]+again.Actions["update"] != 0 {
			t.Errorf("a second restore plans %v:\n%s", again.Actions, again.writeSteps())
		}
	})
}

// TestRestoreExportAllWithRequiredRelation restores an export of acme,
// whose contracts.client is required, into an empty workspace.
func TestRestoreExportAllWithRequiredRelation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startRequiredFake(t, update)
		cfg, export := exportAcmeToCopy(t, fc, url)
		wl.take()
		args := []string{"restore", "--yes", "--config", cfg, "--workspace", "acme", "--from-export", export, "--to", "acme-copy", "all"}
		applyOK(t, args...)
		creates, puts := checkWrites(t, wl.take(), nil)
		t.Logf("restore --from-export: %d item creates, %d item updates", creates, puts)
		if creates != 270 || puts != 120 {
			t.Errorf("%d item creates and %d item updates, want 270 creates and 120 invoice links", creates, puts)
		}
		checkCopy(t, fc, "acme", "acme-copy")
		secondPlanEmpty(t, args)
	})
}

// TestReplicateDataWithRequiredRelation copies acme, whose contracts.client
// is required, into an empty workspace with replicate --include-data.
func TestReplicateDataWithRequiredRelation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startRequiredFake(t, update)
		fc.createWorkspace("Acme (copy)", "acme-copy")
		cfg := writeReplicateConfig(t, t.TempDir(), url)
		wl.take()
		args := []string{"replicate", "--yes", "--from", "acme", "--to", "acme-copy", "--include-data", "--config", cfg}
		applyOK(t, args...)
		creates, puts := checkWrites(t, wl.take(), nil)
		t.Logf("replicate: %d item creates, %d item updates", creates, puts)
		if creates != 270 || puts != 120 {
			t.Errorf("%d item creates and %d item updates, want 270 creates and 120 invoice links", creates, puts)
		}
		checkCopy(t, fc, "acme", "acme-copy")
		secondPlanEmpty(t, args)
	})
}

// TestFailedCreatesLeaveLinksAlone: when every contract's create is
// refused, the invoices' links to them are not written (never set to
// null), the steps say why, and once the server takes the creates a
// re-run converges without duplicates.
func TestFailedCreatesLeaveLinksAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startRequiredFake(t, update)
		cfg := writeTestConfig(t, t.TempDir(), url, "")
		if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
			t.Fatalf("backup: %v\n%s", err, out)
		}
		if status, body := fc.do("DELETE", "/ws/types/contracts", "acme", nil); status != 200 {
			t.Fatalf("delete type: %d %s", status, body)
		}
		wl.srv.SetFaults(fakeapi.Faults{FailRoutes: map[string]int{"items.create": 400}})
		wl.take()
		args := []string{"restore", "--yes", "--config", cfg, "--snapshot", "latest", "type:contracts"}
		out, err := runSelf(t, args...)
		if exitStatus(err) != ExitPartial {
			t.Fatalf("restore with refused creates: %v, want exit %d\n%s", err, ExitPartial, out)
		}
		t.Logf("restore with refused creates: %s", appliedLine.FindString(out))
		for _, w := range wl.take() {
			if w.method == http.MethodPut && strings.Contains(w.path, "/invoices/items/") {
				t.Errorf("PUT %s %s: an invoice written although its contract was not created", w.path, w.body)
			}
		}
		if !strings.Contains(out, "left as it is: data.contract (item ") {
			t.Errorf("the invoices' steps do not say their links were left as they are:\n%s", out)
		}
		wl.srv.SetFaults(fakeapi.Faults{})
		applyOK(t, args...)
		contracts := fc.list("acme", "/ws/types/contracts/items")
		if len(contracts) != 90 {
			t.Errorf("%d contracts after the re-run, want 90", len(contracts))
		}
		secondPlanEmpty(t, args)
	})
}

// exportAcmeToCopy backs acme up, exports that snapshot, and creates the
// empty workspace acme-copy to restore it into: the config and the export.
func exportAcmeToCopy(t *testing.T, fc *fakeClient, url string) (cfg, export string) {
	t.Helper()
	dir := t.TempDir()
	cfg = writeReplicateConfig(t, dir, url)
	if out, err := runSelf(t, "backup", "--config", cfg, "--workspace", "acme"); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	export = filepath.Join(dir, "acme.tar.gz")
	if out, err := runSelf(t, "export", "--config", cfg, "--workspace", "acme", "--snapshot", "latest", "--output", export); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	fc.createWorkspace("Acme (copy)", "acme-copy")
	return cfg, export
}
