package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "show",
		summary: "print objects of a snapshot as JSON",
		usage:   "enspace-sync show [--config FILE] [--workspace NAME] (SNAPSHOT | --at TIME) [SELECTOR...]",
		help: `Prints objects of a snapshot exactly as the API returned them.

SNAPSHOT is an id, a unique id prefix (4 characters or more), "latest", or
"latest~N" (the Nth snapshot before the latest) of the workspace named by
--workspace, which may be left out when the config has one workspace.

SELECTOR picks objects:
  type:SLUG            the type with its fields and items
  item:SLUG/ID         one item of a type
  field:SLUG/FIELD     one field of a type, by its slug (or id)
  role:SLUG            group:NAME          member:EMAIL
  integration:ID       quick-task:ID       form:ID          flow:ID
  KIND                 every object of a kind (types, members, items, ...)

Output: a selector that names one object (item:, field:, role:, ...) prints
that object's JSON alone, byte for byte as stored. Anything else prints one
JSON object per line: {"kind", "parent", "key", "object"}. Without a
selector, every object of the snapshot. Nothing selected is an error.

Examples:
  enspace-sync show latest item:contracts/1001
  enspace-sync show --workspace acme latest~1 type:contracts | jq -c .object.slug
  enspace-sync show 3f2a9c1d members
  enspace-sync show --at "2026-11-20 18:00" item:contracts/1061`,
		run: runShow,
	})
}

func runShow(ctx context.Context, m *Main, args []string) error {
	var workspace, at *string
	inv, err := m.start("show", args, -1, func(fs *flag.FlagSet) {
		workspace = fs.String("workspace", "", "the workspace whose snapshot SNAPSHOT names")
		at = fs.String("at", "", "show the newest snapshot taken at or before this time (2026-11-27, \"2026-11-27 15:04\" or RFC 3339) instead of naming one")
	})
	if err != nil {
		return err
	}
	rest, cfg := inv.args, inv.cfg
	if *at == "" && len(rest) == 0 {
		return usagef("show", "name a snapshot (an id, latest or latest~N) or a time with --at")
	}
	selTexts := rest
	if *at == "" {
		selTexts = rest[1:]
	}
	sels := make([]selector.Selector, 0, len(selTexts))
	for _, text := range selTexts {
		s, err := selector.Parse(text)
		if err != nil {
			return usagef("show", "%s", err)
		}
		sels = append(sels, s)
	}
	db, err := m.openDB(cfg, true, "show")
	if err != nil {
		return err
	}
	var snap *snapshot.Snapshot
	if *at != "" {
		snap, err = snapshotAt(db, cfg, *workspace, *at)
	} else {
		snap, err = resolveSnapshot(db, cfg, *workspace, rest[0])
	}
	if err != nil {
		return err
	}
	return showObjects(m, db, snap, sels)
}

// resolveSnapshot finds the snapshot ref names for a command.
func resolveSnapshot(db *snapshot.DB, cfg *config.Config, workspace, ref string) (*snapshot.Snapshot, error) {
	if workspace != "" || strings.HasPrefix(ref, "latest") {
		ws, err := pickWorkspace(cfg, workspace, fmt.Sprintf("%q", ref))
		if err != nil {
			return nil, err
		}
		workspace = ws.Name
	}
	snap, err := db.Resolve(workspace, ref)
	if errors.Is(err, snapshot.ErrBadRef) {
		return nil, &usageError{msg: err.Error(), hint: "enspace-sync snapshots"}
	}
	return snap, err
}

// snapshotAt finds the newest snapshot of the workspace started at or
// before the time text names, in the local time zone unless it says one.
func snapshotAt(db *snapshot.DB, cfg *config.Config, workspace, text string) (*snapshot.Snapshot, error) {
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err = time.ParseInLocation(layout, text, time.Local); err == nil {
			break
		}
	}
	if err != nil {
		return nil, usagef("show", "--at %q: not a time (2026-11-27, \"2026-11-27 15:04\" or RFC 3339)", text)
	}
	if len(text) == len("2006-01-02") {
		t = t.Add(24*time.Hour - time.Nanosecond) // a day means its end
	}
	ws, err := pickWorkspace(cfg, workspace, "--at")
	if err != nil {
		return nil, err
	}
	snaps, err := db.Snapshots(ws.Name)
	if err != nil {
		return nil, err
	}
	var found *snapshot.Snapshot
	for _, s := range snaps {
		if !s.StartedAt.After(t) {
			found = s
		}
	}
	if found == nil {
		return nil, fmt.Errorf("workspace %s has no snapshot at or before %s", ws.Name, t.Format(time.RFC3339))
	}
	return found, nil
}

// showObjects prints the selected objects of snap.
func showObjects(m *Main, db *snapshot.DB, snap *snapshot.Snapshot, sels []selector.Selector) error {
	single := len(sels) == 1 && sels[0].Single()
	if single {
		// One object: looked up by key (or found in its collection), not
		// by reading every object of the kind.
		raw, err := findObject(db, snap, sels[0])
		if err != nil {
			return err
		}
		if raw != nil {
			if _, err := m.Stdout.Write(bytes.TrimRight(raw, "\n")); err != nil {
				return err
			}
			_, err = fmt.Fprintln(m.Stdout)
			return err
		}
	}
	var found int
	for _, coll := range collectionsInKindOrder(db.Collections(snap)) {
		if single {
			break // looked up above, and not there
		}
		kind := snapshot.KindOf(coll)
		parent := strings.TrimPrefix(strings.TrimPrefix(coll, kind), "/")
		if !wanted(sels, kind, parent) {
			continue
		}
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return fmt.Errorf("read %s %s: %w", coll, key, err)
			}
			if !selected(sels, kind, parent, key, raw) {
				return nil
			}
			found++
			return printObjectLine(m, kind, parent, key, raw)
		})
		if err != nil {
			return err
		}
	}
	if found == 0 {
		for _, sel := range sels {
			for _, k := range sel.Kinds() {
				if e := snap.Errors[k]; e != "" {
					return fmt.Errorf("snapshot %s of %s is partial: %s could not be read when it was taken: %s", snap.ShortID(), snap.Workspace, k, e)
				}
			}
		}
		what := "no objects"
		if len(sels) > 0 {
			var texts []string
			for _, s := range sels {
				texts = append(texts, s.Text)
			}
			what = "nothing matches " + strings.Join(texts, " ")
		}
		return fmt.Errorf("snapshot %s of %s: %s", snap.ShortID(), snap.Workspace, what)
	}
	return nil
}

// collectionsInKindOrder sorts collection names by the kind table's order,
// then by name, so that a type comes before its fields and items.
func collectionsInKindOrder(colls []string) []string {
	order := map[string]int{}
	for i, k := range api.Kinds() {
		order[k.Name] = i
	}
	out := append([]string(nil), colls...)
	sort.SliceStable(out, func(i, j int) bool {
		ki, kj := order[snapshot.KindOf(out[i])], order[snapshot.KindOf(out[j])]
		if ki != kj {
			return ki < kj
		}
		return out[i] < out[j]
	})
	return out
}

func wanted(sels []selector.Selector, kind, parent string) bool {
	if len(sels) == 0 {
		return true
	}
	for _, s := range sels {
		for _, k := range s.Kinds() {
			if k == kind && (s.Parent == "" || s.Parent == parent) {
				return true
			}
		}
	}
	return false
}

func selected(sels []selector.Selector, kind, parent, key string, raw []byte) bool {
	if len(sels) == 0 {
		return true
	}
	for _, s := range sels {
		if s.Match(kind, parent, key, raw) {
			return true
		}
	}
	return false
}

func printObjectLine(m *Main, kind, parent, key string, raw []byte) error {
	var obj bytes.Buffer
	if err := json.Compact(&obj, raw); err != nil {
		return fmt.Errorf("stored %s %s is not valid JSON: %w", kind, key, err)
	}
	line, err := json.Marshal(struct {
		Kind   string          `json:"kind"`
		Parent string          `json:"parent,omitempty"`
		Key    string          `json:"key"`
		Object json.RawMessage `json:"object"`
	}{kind, parent, key, obj.Bytes()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(m.Stdout, "%s\n", line)
	return err
}
