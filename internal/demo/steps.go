package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// steps is the tour, in order.
func steps() []step {
	return []step{
		{"start a fake Enspace API and write a config for it", stepSetup},
		{"back up acme", stepFirstBackup},
		{"someone changes acme in the Enspace UI", stepChanges},
		{"back up again: what changed, and the alarm", stepSecondBackup},
		{"restore type contracts from the first snapshot", stepRestore},
		{"back up again and compare with the first snapshot", stepThirdBackup},
		{"replicate the configuration of acme-stage to acme", stepReplicate},
		{"back up the result and export it to a .tar.gz", stepExport},
	}
}

func stepSetup(ctx context.Context, t *tour) (string, error) {
	t.say("the fake serves the workspaces %s at %s from memory", strings.Join(t.fake.Workspaces(), " and "), t.url)
	t.say("(on its own: enspace-sync fake-api --data demo)")
	text, err := t.writeConfig()
	if err != nil {
		return "", err
	}
	t.say("wrote %s, and the fake's API key to the file key beside it:", t.cfgPath)
	t.show(splitLines(text)...)
	t.command("config check")
	cfg, err := config.Load(t.cfgPath, config.Options{})
	if err != nil {
		return "", fmt.Errorf("config check refuses the config: %w", err)
	}
	t.show(fmt.Sprintf("%s: valid (%d environments, %d workspaces)", t.cfgPath, len(cfg.Environments), len(cfg.Workspaces)))
	if len(cfg.Workspaces) != 2 || len(cfg.Warnings) > 0 {
		return "", fmt.Errorf("the config has %d workspaces and warnings %q, want 2 and none", len(cfg.Workspaces), cfg.Warnings)
	}
	if err := t.open(cfg); err != nil {
		return "", err
	}
	return "config check accepts the config", nil
}

func stepFirstBackup(ctx context.Context, t *tour) (string, error) {
	res, err := t.backup(ctx)
	if err != nil {
		return "", err
	}
	snap := res.Snapshot
	if snap.Collections["items/contracts"].Count == 0 || snap.Collections["fields/contracts"].Count == 0 {
		return "", fmt.Errorf("snapshot %s holds no fields or items of the type contracts", snap.ShortID())
	}
	return fmt.Sprintf("snapshot %s is complete: %d objects, among them %d types, %d fields and %d items",
		snap.ShortID(), snap.Objects, snap.Counts[kind.Types], snap.Counts[kind.Fields], snap.Counts[kind.Items]), nil
}

func stepChanges(ctx context.Context, t *tour) (string, error) {
	first := t.snaps[0]
	fields, items := first.Collections["fields/contracts"].Count, first.Collections["items/contracts"].Count
	t.say("what a person does in the UI, sent here to the API as curl would:")
	t.say("  curl -X METHOD -H 'x-api-key: %s' -H 'en-workspace: acme' %s/PATH -d BODY", fakeapi.DemoAPIKey, t.url)
	changes := []struct{ method, path, body, note string }{
		{"PUT", "/ws/types/clients/items/1001", `{"data":{"city":"Campinas"}}`, ""},
		{"PUT", "/ws/types/clients/items/1002", `{"data":{"city":"Campinas"}}`, ""},
		{"PUT", "/ws/types/clients/items/1003", `{"data":{"segment":"enterprise"}}`, ""},
		{"POST", "/ws/types/invoices/fields", `{"name":"Notes","slug":"notes","type":"text"}`, ""},
		{"DELETE", "/ws/types/contracts", "", fmt.Sprintf("(the type, its %d fields and %d items)", fields, items)},
	}
	for _, c := range changes {
		t.show(strings.TrimSpace(fmt.Sprintf("%-6s %-29s %s%s", c.method, c.path, c.body, c.note)))
		answer, err := t.apiDo(ctx, c.method, c.path, c.body)
		if err != nil {
			return "", err
		}
		if c.method == "POST" {
			var f struct {
				ID json.Number `json:"id"`
			}
			if err := json.Unmarshal(answer, &f); err != nil || f.ID == "" {
				return "", fmt.Errorf("the new field's answer has no id: %s", answer)
			}
			t.noteField = f.ID.String()
		}
	}
	if _, err := t.apiDo(ctx, "GET", "/ws/types/contracts", ""); err == nil {
		return "", fmt.Errorf("the type contracts is still there after its DELETE")
	}
	return fmt.Sprintf("the API took the %d changes: three items edited, the field invoices/%s added, the type contracts gone",
		len(changes), t.noteField), nil
}

func stepSecondBackup(ctx context.Context, t *tour) (string, error) {
	first := t.snaps[0]
	res, err := t.backup(ctx)
	if err != nil {
		return "", err
	}
	snap := res.Snapshot
	found := false
	for _, a := range res.Anomalies {
		if a.Selector == "type:contracts" {
			found = true
			t.say("the backup logs each anomaly as a warning with a hint (%d here); for the type:", len(res.Anomalies))
			t.show(app.RestoreHint("acme", first.ShortID(), a.Selector))
		}
	}
	if !found || !hasPrefix(snap.Anomalies, "type contracts disappeared") {
		return "", fmt.Errorf("snapshot %s records no anomaly for the type contracts (it records %q)", snap.ShortID(), snap.Anomalies)
	}
	if res.Before == nil || res.Before.ID != first.ID || res.Before.Protected == "" {
		return "", fmt.Errorf("the snapshot before the drop (%s) is not the one kept by retention", first.ShortID())
	}
	diffRes, err := t.diff(first, snap)
	if err != nil {
		return "", err
	}
	if err := checkPersonChanges(diffRes, first, t.noteField); err != nil {
		return "", err
	}
	return fmt.Sprintf("the backup flagged the lost type as an ANOMALY and protected snapshot %s; the diff holds the type contracts with its %d fields and %d items removed, the field Notes added and the 3 edited items",
		first.ShortID(), first.Collections["fields/contracts"].Count, first.Collections["items/contracts"].Count), nil
}

// diff compares two snapshots as `enspace-sync diff A B` does and shows
// the changes, long runs collapsed.
func (t *tour) diff(a, b *snapshot.Snapshot) (*diff.Result, error) {
	t.command("diff", "--workspace", "acme", a.ShortID(), b.ShortID())
	res, err := t.svc.Compare(a, b, nil)
	if err != nil {
		return nil, err
	}
	t.show(fmt.Sprintf("acme %s -> %s", a.ShortID(), b.ShortID()))
	err = t.showText(func(w io.Writer) error { return diff.WriteText(w, res, diff.TextOptions{}) },
		func(lines []string) []string { return collapseRuns(lines, 2) })
	return res, err
}

// checkPersonChanges checks that the changes from first hold what the
// person did in step 3.
func checkPersonChanges(res *diff.Result, first *snapshot.Snapshot, noteField string) error {
	count := func(k kind.Name, parent string, op diff.Op) int {
		n := 0
		for _, c := range res.Changes {
			if c.Kind == k && c.Parent == parent && c.Op == op {
				n++
			}
		}
		return n
	}
	want := []struct {
		what    string
		got, of int
	}{
		{"removed types contracts", count(kind.Types, "", diff.Removed), 1},
		{"removed fields of contracts", count(kind.Fields, "contracts", diff.Removed), first.Collections["fields/contracts"].Count},
		{"removed items of contracts", count(kind.Items, "contracts", diff.Removed), first.Collections["items/contracts"].Count},
		{"added fields of invoices", count(kind.Fields, "invoices", diff.Added), 1},
		{"changed items of clients", count(kind.Items, "clients", diff.Changed), 3},
	}
	for _, w := range want {
		if w.got != w.of {
			return fmt.Errorf("the diff has %d %s, want %d", w.got, w.what, w.of)
		}
	}
	for _, c := range res.Changes {
		if c.Kind == kind.Fields && c.Op == diff.Added && c.Key != noteField {
			return fmt.Errorf("the diff adds field %s/%s, not the new field %s", c.Parent, c.Key, noteField)
		}
	}
	return nil
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
