package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func init() {
	register(&command{
		name:    "log",
		summary: "show the history of one object across snapshots",
		usage:   "enspace-sync log [--config FILE] [--workspace NAME] [--json] SELECTOR",
		help: `Follows one object through every snapshot of a workspace, oldest first:
when it appeared, each change (the fields, old and new values), when it
disappeared, and in which snapshot. A snapshot that could not read the
object's kind says so ("unknown") instead of calling it gone.

SELECTOR names one object: item:SLUG/ID, field:SLUG/FIELD, type:SLUG,
role:SLUG, group:NAME, member:EMAIL, integration:ID, quick-task:ID.

--json prints [{"snapshot", "time", "op", "fields": [{"path", "op", "old",
"new"}]}] with op one of added, changed, removed, unknown.

Examples:
  enspace-sync log item:clients/1001
  enspace-sync log --workspace acme member:ana@acme.com --json`,
		run: runLog,
	})
}

// logEntry is one step in an object's history.
type logEntry struct {
	Snapshot string             `json:"snapshot"`
	Time     time.Time          `json:"time"`
	Op       diff.Op            `json:"op"`
	Fields   []diff.FieldChange `json:"fields,omitempty"`
	Note     string             `json:"note,omitempty"`
}

func runLog(ctx context.Context, m *Main, args []string) error {
	var workspace *string
	inv, err := m.start("log", args, 1, func(fs *flag.FlagSet) {
		workspace = fs.String("workspace", "", "the workspace (may be left out when the config has one)")
	})
	if err != nil {
		return err
	}
	if len(inv.args) != 1 {
		return usagef("log", "name one object, such as item:clients/1001")
	}
	sel, err := selector.Parse(inv.args[0])
	if err != nil || sel.All {
		if err == nil {
			err = fmt.Errorf("%q names a whole kind: name one object, such as item:clients/1001", sel.Text)
		}
		return usagef("log", "%s", err)
	}
	picked, err := pickWorkspace(inv.cfg, *workspace, "log")
	if err != nil {
		return err
	}
	ws := picked.Name
	db, err := m.openDB(inv.cfg, true, "log")
	if err != nil {
		return err
	}
	snaps, err := db.Snapshots(ws)
	if err != nil {
		return err
	}
	history, err := objectHistory(db, snaps, sel)
	if err != nil {
		return err
	}
	if inv.g.asJSON {
		return printJSON(m, history)
	}
	if len(history) == 0 {
		return fmt.Errorf("%s is in none of the %d snapshots of %s", sel.Text, len(snaps), ws)
	}
	for _, e := range history {
		fmt.Fprintf(m.Stdout, "%s  %s  %s", e.Time.Local().Format("2006-01-02 15:04:05"), shortID(e.Snapshot), e.Op)
		if e.Note != "" {
			fmt.Fprintf(m.Stdout, " (%s)", e.Note)
		}
		fmt.Fprintln(m.Stdout)
		for _, f := range e.Fields {
			fmt.Fprintf(m.Stdout, "    %s: %s -> %s\n", f.Path, logValue(f.Old, f.Op == diff.Added), logValue(f.New, f.Op == diff.Removed))
		}
	}
	return nil
}

// objectHistory walks snaps (oldest first) and records each change of the
// object sel names.
func objectHistory(db *snapshot.DB, snaps []*snapshot.Snapshot, sel selector.Selector) ([]logEntry, error) {
	kinds := kindInfos()
	history := []logEntry{}
	var prev []byte
	for _, s := range snaps {
		if s.Errors[sel.Kind] != "" {
			history = append(history, logEntry{Snapshot: s.ID, Time: s.StartedAt, Op: diff.Unknown, Note: "the kind could not be read: " + s.Errors[sel.Kind]})
			continue
		}
		raw, err := findObject(db, s, sel)
		if err != nil {
			return nil, err
		}
		switch {
		case raw == nil && prev != nil:
			history = append(history, logEntry{Snapshot: s.ID, Time: s.StartedAt, Op: diff.Removed})
		case raw != nil && prev == nil:
			history = append(history, logEntry{Snapshot: s.ID, Time: s.StartedAt, Op: diff.Added})
		case raw != nil && !bytes.Equal(raw, prev):
			fields, noiseOnly, err := diff.Fields(kinds[sel.Kind], prev, raw)
			if err != nil {
				return nil, err
			}
			if !noiseOnly && len(fields) > 0 {
				history = append(history, logEntry{Snapshot: s.ID, Time: s.StartedAt, Op: diff.Changed, Fields: fields})
			}
		}
		prev = raw
	}
	return history, nil
}

var errFound = errors.New("found")

// findObject returns the raw JSON of the object sel names in snap, or nil.
func findObject(db *snapshot.DB, snap *snapshot.Snapshot, sel selector.Selector) ([]byte, error) {
	kind := sel.Kind
	if sel.Field == "" { // named by key: type:SLUG, item:SLUG/ID, integration:ID ...
		raw, ok, err := db.Lookup(snap, snapshot.CollectionName(kind, sel.Parent), sel.Value)
		if err != nil || !ok {
			return nil, err
		}
		return raw, nil
	}
	var found []byte
	for coll := range snap.Collections {
		if snapshot.KindOf(coll) != kind {
			continue
		}
		parent := coll[len(kind):]
		if len(parent) > 0 {
			parent = parent[1:]
		}
		if sel.Parent != "" && parent != sel.Parent {
			continue
		}
		err := db.Walk(snap, coll, func(key string, hash snapshot.Hash) error {
			raw, err := db.Blob(hash)
			if err != nil {
				return err
			}
			if sel.Match(kind, parent, key, raw) {
				found = raw
				return errFound
			}
			return nil
		})
		if errors.Is(err, errFound) {
			return found, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// logValue prints a field value on one line; absent values print as (none).
func logValue(v any, absent bool) string {
	if absent {
		return "(none)"
	}
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
