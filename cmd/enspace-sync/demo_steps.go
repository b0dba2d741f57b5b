package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// demoSteps is the tour, in order.
func demoSteps() []demoStep {
	return []demoStep{
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

func stepSetup(ctx context.Context, d *demo) (string, error) {
	d.say("the fake serves the workspaces %s at %s from memory", strings.Join(d.fake.Workspaces(), " and "), d.url)
	d.say("(on its own: enspace-sync fake-api --data demo)")
	text, err := d.writeConfig()
	if err != nil {
		return "", err
	}
	d.say("wrote %s, and the fake's API key to the file key beside it:", d.cfgPath)
	d.show(splitLines(text)...)
	out, err := d.exec(ctx, func(string) bool { return true }, "config", "check", "--config", d.cfgPath)
	if err != nil {
		return "", err
	}
	d.show(out.taken...)
	if len(linesWith(out.taken, ": valid (")) == 0 {
		return "", fmt.Errorf("config check did not say the config is valid")
	}
	return "config check accepts the config", nil
}

func stepFirstBackup(ctx context.Context, d *demo) (string, error) {
	out, err := d.exec(ctx, nil, "backup", "--config", d.cfgPath, "--workspace", "acme")
	if err != nil {
		return "", err
	}
	d.show(splitLines(out.stdout)...)
	snap, err := d.latestBackup()
	if err != nil {
		return "", err
	}
	if snap.Collections["items/contracts"].Count == 0 || snap.Collections["fields/contracts"].Count == 0 {
		return "", fmt.Errorf("snapshot %s holds no fields or items of the type contracts", snap.ShortID())
	}
	return fmt.Sprintf("snapshot %s is complete: %d objects, among them %d types, %d fields and %d items",
		snap.ShortID(), snap.Objects, snap.Counts["types"], snap.Counts["fields"], snap.Counts["items"]), nil
}

func stepChanges(ctx context.Context, d *demo) (string, error) {
	first := d.snaps[0]
	fields, items := first.Collections["fields/contracts"].Count, first.Collections["items/contracts"].Count
	d.say("what a person does in the UI, sent here to the API as curl would:")
	d.say("  curl -X METHOD -H 'x-api-key: %s' -H 'en-workspace: acme' %s/PATH -d BODY", fakeapi.DemoAPIKey, d.url)
	changes := []struct{ method, path, body, note string }{
		{"PUT", "/ws/types/clients/items/1001", `{"data":{"city":"Campinas"}}`, ""},
		{"PUT", "/ws/types/clients/items/1002", `{"data":{"city":"Campinas"}}`, ""},
		{"PUT", "/ws/types/clients/items/1003", `{"data":{"segment":"enterprise"}}`, ""},
		{"POST", "/ws/types/invoices/fields", `{"name":"Notes","slug":"notes","type":"text"}`, ""},
		{"DELETE", "/ws/types/contracts", "", fmt.Sprintf("(the type, its %d fields and %d items)", fields, items)},
	}
	for _, c := range changes {
		d.show(strings.TrimSpace(fmt.Sprintf("%-6s %-29s %s%s", c.method, c.path, c.body, c.note)))
		answer, err := d.apiDo(ctx, c.method, c.path, c.body)
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
			d.noteField = f.ID.String()
		}
	}
	if _, err := d.apiDo(ctx, "GET", "/ws/types/contracts", ""); err == nil {
		return "", fmt.Errorf("the type contracts is still there after its DELETE")
	}
	return fmt.Sprintf("the API took the %d changes: three items edited, the field invoices/%s added, the type contracts gone",
		len(changes), d.noteField), nil
}

func stepSecondBackup(ctx context.Context, d *demo) (string, error) {
	isAnomaly := func(l string) bool { return strings.Contains(l, `msg="anomaly: `) }
	out, err := d.exec(ctx, isAnomaly, "backup", "--config", d.cfgPath, "--workspace", "acme")
	if err != nil {
		return "", err
	}
	d.show(splitLines(out.stdout)...)
	for _, l := range out.taken {
		if strings.Contains(l, "anomaly: type contracts") {
			d.say("the log warns of each anomaly (%s) with a hint; for the type:", plural(len(out.taken), "warning"))
			d.show(slogTextValue(l, "hint"))
		}
	}
	first := d.snaps[0]
	snap, err := d.latestBackup()
	if err != nil {
		return "", err
	}
	if !hasPrefix(snap.Anomalies, "type contracts disappeared") {
		return "", fmt.Errorf("snapshot %s records no anomaly for the type contracts (it records %q)", snap.ShortID(), snap.Anomalies)
	}
	diffOut, err := d.exec(ctx, nil, "diff", "--config", d.cfgPath, "--workspace", "acme")
	if err != nil {
		return "", err
	}
	d.show(collapseRuns(splitLines(diffOut.stdout), 2)...)
	res, err := d.compare(first, snap)
	if err != nil {
		return "", err
	}
	if err := checkPersonChanges(res, first, d.noteField); err != nil {
		return "", err
	}
	return fmt.Sprintf("the backup flagged the lost type as an ANOMALY; the diff holds the type contracts with its %d fields and %d items removed, the field Notes added and the 3 edited items",
		first.Collections["fields/contracts"].Count, first.Collections["items/contracts"].Count), nil
}

// checkPersonChanges checks that the changes from first hold what the
// person did in step 3.
func checkPersonChanges(res *diff.Result, first *snapshot.Snapshot, noteField string) error {
	count := func(kind, parent string, op diff.Op) int {
		n := 0
		for _, c := range res.Changes {
			if c.Kind == kind && c.Parent == parent && c.Op == op {
				n++
			}
		}
		return n
	}
	want := []struct {
		what    string
		got, of int
	}{
		{"removed types contracts", count("types", "", diff.Removed), 1},
		{"removed fields of contracts", count("fields", "contracts", diff.Removed), first.Collections["fields/contracts"].Count},
		{"removed items of contracts", count("items", "contracts", diff.Removed), first.Collections["items/contracts"].Count},
		{"added fields of invoices", count("fields", "invoices", diff.Added), 1},
		{"changed items of clients", count("items", "clients", diff.Changed), 3},
	}
	for _, w := range want {
		if w.got != w.of {
			return fmt.Errorf("the diff has %d %s, want %d", w.got, w.what, w.of)
		}
	}
	for _, c := range res.Changes {
		if c.Kind == "fields" && c.Op == diff.Added && c.Key != noteField {
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
