package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// startCycleFake starts the demo fake whose required relations form a
// cycle: contracts.client → clients, clients.main_contract → contracts;
// item updates as update says.
func startCycleFake(t *testing.T, update fakeapi.Options) (*writeLog, *fakeClient, string) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", RequiredCycle: true,
		MergeOnUpdate: update.MergeOnUpdate, ReplaceOnUpdate: update.ReplaceOnUpdate})
	if err != nil {
		t.Fatal(err)
	}
	wl := &writeLog{srv: srv, next: srv}
	hs := httptest.NewServer(wl)
	t.Cleanup(hs.Close)
	return wl, &fakeClient{t: t, base: hs.URL}, hs.URL
}

// cycleWrites checks the writes of an apply against the cycle fake: none
// refused, no null written to an item, and the field writes are PUTs of
// the whole field clients.main_contract. It returns the item creates, the
// item updates and the field PUTs by the required they set.
func cycleWrites(t *testing.T, fc *fakeClient, ws string, writes []write) (creates, puts int, fieldPuts []string) {
	t.Helper()
	mainID := ""
	for _, f := range fc.list(ws, "/ws/types/clients/fields") {
		if f["slug"] == "main_contract" {
			mainID = textOf(f["id"])
		}
	}
	for _, w := range writes {
		if w.status/100 != 2 {
			t.Errorf("%s %s %s: answered %d", w.method, w.path, w.body, w.status)
		}
		parts := strings.Split(strings.Trim(w.path, "/"), "/") // ws types SLUG (items|fields) [ID]
		if len(parts) < 4 {
			continue
		}
		switch parts[3] {
		case kind.Items:
			if strings.Contains(string(w.body), "null") {
				t.Errorf("%s %s %s: writes null", w.method, w.path, w.body)
			}
			if w.method == http.MethodPost {
				creates++
			} else if w.method == http.MethodPut {
				puts++
			}
		case kind.Fields:
			if w.method != http.MethodPut {
				continue
			}
			// The field update takes the full FieldInput: the body is
			// the whole field; what it changes is required.
			var f map[string]any
			_ = json.Unmarshal(w.body, &f)
			if f["name"] == nil || f["slug"] != "main_contract" || f["type"] != "relation" {
				t.Errorf("PUT %s %s: not the whole field", w.path, w.body)
			}
			fieldPuts = append(fieldPuts, fmt.Sprintf(`{"required":%v}`, f["required"]))
			if parts[2] != "clients" || len(parts) < 5 || parts[4] != mainID {
				t.Errorf("PUT %s %s: want only clients.main_contract (%s) written", w.path, w.body, mainID)
			}
		}
	}
	return creates, puts, fieldPuts
}

// checkCycleCopy checks that clients.main_contract is required in dst and
// that each client of dst has the main contract of its source namesake
// (by number).
func checkCycleCopy(t *testing.T, fc *fakeClient, src, dst string) {
	t.Helper()
	required := false
	for _, f := range fc.list(dst, "/ws/types/clients/fields") {
		if f["slug"] == "main_contract" {
			required = f["required"] == true
		}
	}
	if !required {
		t.Errorf("clients.main_contract in %s is not required after the apply", dst)
	}
	a, b := readWorkspace(fc, src), readWorkspace(fc, dst)
	pairs := func(v *workspaceView) map[string]int {
		out := map[string]int{} // client -> main contract, by content: clients may share a name
		for _, c := range v.items["clients"] {
			out[v.plain("clients", c)+" → "+v.refLabel("contracts", dataOf(c)["main_contract"])]++
		}
		return out
	}
	pa, pb := pairs(a), pairs(b)
	shown := 0
	for k, n := range pa {
		if pb[k] != n && shown < 5 {
			shown++
			t.Errorf("%d clients in %s hold %s, want %d", pb[k], dst, k, n)
		}
	}
	if len(b.items["clients"]) != len(a.items["clients"]) {
		t.Errorf("%d clients in %s, want %d", len(b.items["clients"]), dst, len(a.items["clients"]))
	}
}

// secondPlanEmpty plans args again with --dry-run --json: nothing to write.
func secondPlanEmpty(t *testing.T, args []string) {
	t.Helper()
	again := runPlanJSON(t, append(args, "--dry-run", "--json")...)
	if again.Actions["create"]+again.Actions["update"] != 0 {
		t.Errorf("a second plan plans %v:\n%s", again.Actions, again.writeSteps())
	}
}

// TestRestoreExportAllWithRequiredCycle restores an export of acme, whose
// required relations form a cycle, into an empty workspace: the field
// clients.main_contract is created relaxed and set back to required after
// the links pass.
func TestRestoreExportAllWithRequiredCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startCycleFake(t, update)
		cfg, export := exportAcmeToCopy(t, fc, url)
		wl.take()
		args := []string{"restore", "--yes", "--config", cfg, "--workspace", "acme", "--from-export", export, "--to", "acme-copy", "all"}
		out := applyOK(t, args...)
		creates, puts, fieldPuts := cycleWrites(t, fc, "acme-copy", wl.take())
		t.Logf("restore --from-export: %d item creates, %d item updates, field PUTs %v", creates, puts, fieldPuts)
		if creates != 270 || puts != 180 {
			t.Errorf("%d item creates and %d item updates, want 270 creates and 120 invoice + 60 client links", creates, puts)
		}
		if strings.Join(fieldPuts, "|") != `{"required":true}` {
			t.Errorf("field PUTs %q, want one that sets required back", fieldPuts)
		}
		if !strings.Contains(out, "set back to required after the links") || !strings.Contains(out, "created with required false") {
			t.Errorf("the plan does not show the relaxed field:\n%s", out)
		}
		checkCopy(t, fc, "acme", "acme-copy")
		checkCycleCopy(t, fc, "acme", "acme-copy")
		secondPlanEmpty(t, args)
	})
}

// TestReplicateDataWithRequiredCycle replicates acme's configuration into
// an empty workspace, then its data: the target has clients.main_contract
// required, so the plan relaxes it before the items' creates and sets it
// back after the links.
func TestReplicateDataWithRequiredCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startCycleFake(t, update)
		fc.createWorkspace("Acme (copy)", "acme-copy")
		cfg := writeReplicateConfig(t, t.TempDir(), url)
		applyOK(t, "replicate", "--yes", "--from", "acme", "--to", "acme-copy", "--config", cfg)
		wl.take()
		args := []string{"replicate", "--yes", "--from", "acme", "--to", "acme-copy", "--include-data", "--config", cfg}
		plan := runPlanJSON(t, append(args, "--dry-run", "--json")...)
		var phases []string
		for _, s := range plan.Steps {
			if s.Kind == kind.Fields && s.Action == "update" {
				phases = append(phases, s.Parent+"/"+s.Reason)
			}
		}
		if len(phases) != 2 || !strings.Contains(phases[0], "relaxed for the apply: its values form a cycle of required relations (clients.main_contract → contracts → clients)") {
			t.Errorf("field updates %q, want relax then set back", phases)
		}
		out := applyOK(t, args...)
		creates, puts, fieldPuts := cycleWrites(t, fc, "acme-copy", wl.take())
		t.Logf("replicate --include-data: %d item creates, %d item updates, field PUTs %v", creates, puts, fieldPuts)
		if creates != 270 || puts != 180 {
			t.Errorf("%d item creates and %d item updates, want 270 creates and 180 links", creates, puts)
		}
		if strings.Join(fieldPuts, "|") != `{"required":false}|{"required":true}` {
			t.Errorf("field PUTs %q, want relax then set back", fieldPuts)
		}
		if !strings.Contains(out, "relaxed for the apply") {
			t.Errorf("output does not show the relax step:\n%s", out)
		}
		checkCopy(t, fc, "acme", "acme-copy")
		checkCycleCopy(t, fc, "acme", "acme-copy")
		secondPlanEmpty(t, args)
	})
}

// TestRestoreDeletedTypeInRequiredCycle deletes the type clients, whose
// required main_contract closes the cycle, and restores it from the
// snapshot before: the clients are created without their main contract
// (the field is created relaxed), the links pass sets it and re-links the
// contracts to the new clients, and required is set back.
func TestRestoreDeletedTypeInRequiredCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program; not in -short")
	}
	forUpdateVariants(t, func(t *testing.T, update fakeapi.Options) {
		wl, fc, url := startCycleFake(t, update)
		cfg := writeTestConfig(t, t.TempDir(), url, "")
		backup := func() {
			if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
		}
		backup()
		before := fc.list("acme", "/ws/types/clients/items?limit=100")
		if status, body := fc.do("DELETE", "/ws/types/clients", "acme", nil); status != 200 {
			t.Fatalf("delete type: %d %s", status, body)
		}
		backup()
		wl.take()
		args := []string{"restore", "--yes", "--config", cfg, "--snapshot", "latest~1", "type:clients"}
		applyOK(t, args...)
		creates, puts, fieldPuts := cycleWrites(t, fc, "acme", wl.take())
		t.Logf("restore type:clients: %d item creates, %d item updates, field PUTs %v", creates, puts, fieldPuts)
		if creates != 60 || puts != 150 {
			t.Errorf("%d item creates and %d item updates, want 60 clients and 60 + 90 links", creates, puts)
		}
		if strings.Join(fieldPuts, "|") != `{"required":true}` {
			t.Errorf("field PUTs %q, want one that sets required back", fieldPuts)
		}
		after := fc.list("acme", "/ws/types/clients/items?limit=100")
		pairs := func(list []map[string]any) map[string]int {
			out := map[string]int{} // client content -> main contract (the contracts kept their ids)
			for _, c := range list {
				data := map[string]any{}
				for k, v := range dataOf(c) {
					data[k] = v
				}
				main := textOf(data["main_contract"])
				delete(data, "main_contract")
				raw, _ := json.Marshal(data)
				out[string(raw)+" → "+main]++
			}
			return out
		}
		if len(after) != len(before) {
			t.Errorf("%d clients after the restore, want %d", len(after), len(before))
		}
		pb, pa := pairs(before), pairs(after)
		for k, n := range pb {
			if pa[k] != n {
				t.Errorf("%d clients hold %s after the restore, want %d", pa[k], k, n)
				break
			}
		}
		required := false
		for _, f := range fc.list("acme", "/ws/types/clients/fields") {
			if f["slug"] == "main_contract" {
				required = f["required"] == true
			}
		}
		if !required {
			t.Error("clients.main_contract is not required after the restore")
		}
		secondPlanEmpty(t, []string{"restore", "--yes", "--config", cfg, "--snapshot", "latest~1", "type:clients"})
	})
}
