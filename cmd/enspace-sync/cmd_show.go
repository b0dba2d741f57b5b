package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
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
  enspace-sync show --workspace acme latest~1 type:contracts |
      jq -c .object.slug
  enspace-sync show 3f2a9c1d members
  enspace-sync show --at "2026-11-20 18:00" item:contracts/1061`,
		local: true,
		run:   configured("show", -1, showCommand),
	})
}

// showOptions are show's flags and arguments.
type showOptions struct {
	invocation
	workspace string
	at        string
}

func (o *showOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.workspace, "workspace", "", "the workspace whose snapshot SNAPSHOT names")
	fs.StringVar(&o.at, "at", "", "show the newest snapshot taken at or before this time (2026-11-27, \"2026-11-27 15:04\" or RFC 3339) instead of naming one")
}

// showCommand prints the objects of the snapshot o names.
func showCommand(ctx context.Context, m *Main, o *showOptions) error {
	var err error
	rest := o.args
	if o.at == "" && len(rest) == 0 {
		return usagef("show", "name a snapshot (an id, latest or latest~N) or a time with --at")
	}
	selTexts := rest
	if o.at == "" {
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
	var when time.Time
	if o.at != "" {
		if when, err = parseAt(o.at); err != nil {
			return err
		}
	}
	svc, err := m.openService(o.cfg, true, "show")
	if err != nil {
		return err
	}
	var snap *snapshot.Snapshot
	if o.at != "" {
		snap, err = svc.SnapshotAt(o.workspace, when)
	} else {
		snap, err = svc.ResolveSnapshot(o.workspace, rest[0])
	}
	if err != nil {
		return err
	}
	return svc.Objects(app.ObjectsRequest{Snapshot: snap, Selectors: sels}, func(o app.Object, single bool) error {
		if single { // the object's JSON alone, byte for byte as stored
			_, err := fmt.Fprintf(m.Stdout, "%s\n", bytes.TrimRight(o.Raw, "\n"))
			return err
		}
		return printObjectLine(m, o)
	})
}

// parseAt reads the time of --at, in the local time zone unless it says
// one; a day means its end.
func parseAt(text string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, text, time.Local); err == nil {
			if len(text) == len("2006-01-02") {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			return t, nil
		}
	}
	return time.Time{}, usagef("show", "--at %q: not a time (2026-11-27, \"2026-11-27 15:04\" or RFC 3339)", text)
}

func printObjectLine(m *Main, o app.Object) error {
	var obj bytes.Buffer
	if err := json.Compact(&obj, o.Raw); err != nil {
		return fmt.Errorf("stored %s %s is not valid JSON: %w", o.Kind, o.Key, err)
	}
	line, err := json.Marshal(struct {
		Kind   string          `json:"kind"`
		Parent string          `json:"parent,omitempty"`
		Key    string          `json:"key"`
		Object json.RawMessage `json:"object"`
	}{o.Kind, o.Parent, o.Key, obj.Bytes()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(m.Stdout, "%s\n", line)
	return err
}
