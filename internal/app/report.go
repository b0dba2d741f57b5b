package app

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/kind"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// FormatCounts writes objects per kind in the order of the kind table:
// "types 4, fields 31, items 2041".
func FormatCounts(counts map[string]int) string {
	var parts []string
	for _, k := range kind.All() {
		if n, ok := counts[string(k.Name)]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", k.Name, n))
		}
	}
	return strings.Join(parts, ", ")
}

// ChangesLine sums up a snapshot's recorded changes on one line: "changes
// since 3f2a9c1d: types 1 removed; items 3 changed"; "" when none were
// recorded.
func ChangesLine(s *snapshot.Snapshot) string {
	c := s.Changes
	if c == nil {
		return ""
	}
	var parts []string
	for _, k := range kind.All() {
		n, ok := c.Summary[string(k.Name)]
		if !ok {
			continue
		}
		var ops []string
		for _, op := range []struct {
			n    int
			name string
		}{{n.Added, "added"}, {n.Removed, "removed"}, {n.Changed, "changed"}, {n.Unknown, "unknown"}} {
			if op.n > 0 {
				ops = append(ops, fmt.Sprintf("%d %s", op.n, op.name))
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s", k.Name, strings.Join(ops, ", ")))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no changes since %s", ShortID(c.Since))
	}
	return fmt.Sprintf("changes since %s: %s", ShortID(c.Since), strings.Join(parts, "; "))
}

// ShortID is the first 8 characters of a snapshot id.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Summarize writes a snapshot's one-line summary and the command to look
// into what went wrong, for notifications and the daemon's status.
func Summarize(snap *snapshot.Snapshot) (summary, hint string) {
	parts := []string{fmt.Sprintf("%d objects (%s)", snap.Objects, FormatCounts(snap.Counts))}
	for _, kind := range slices.Sorted(maps.Keys(snap.Errors)) {
		parts = append(parts, fmt.Sprintf("not read: %s: %s", kind, snap.Errors[kind]))
	}
	if line := ChangesLine(snap); line != "" {
		parts = append(parts, line)
	}
	summary = strings.Join(parts, "; ")
	since := ""
	if snap.Changes != nil {
		since = ShortID(snap.Changes.Since)
	}
	switch {
	case len(snap.Anomalies) > 0 && since != "":
		hint = fmt.Sprintf("see what was lost with: enspace-sync diff --workspace %s %s %s; snapshot %s (before the drop) is kept, restore from it",
			snap.Workspace, since, snap.ShortID(), since)
	case snap.Status == snapshot.StatusPartial:
		hint = fmt.Sprintf("the kinds not read are unknown in %s, not deleted; the previous complete snapshot still holds them: enspace-sync snapshots --workspace %s",
			snap.ShortID(), snap.Workspace)
	}
	return summary, hint
}

// SnapshotLines describes a stored snapshot for a person, as backup prints
// it: its id, status, size and duration, its counts, the kinds not read,
// drift, the changes since the previous one, its anomalies and the objects
// it healed.
func SnapshotLines(s *snapshot.Snapshot) []string {
	lines := []string{
		fmt.Sprintf("snapshot %s of %s: %s, %d objects in %s, %d requests, %s added",
			s.ShortID(), s.Workspace, s.Status, s.Objects, s.FinishedAt.Sub(s.StartedAt).Round(time.Millisecond),
			s.Requests, HumanBytes(s.AddedBytes)),
		"  " + FormatCounts(s.Counts),
	}
	for _, kind := range slices.Sorted(maps.Keys(s.Errors)) {
		lines = append(lines, fmt.Sprintf("  not read: %s: %s", kind, s.Errors[kind]))
	}
	for _, d := range s.Drift {
		lines = append(lines, "  drift: "+d)
	}
	if line := ChangesLine(s); line != "" {
		lines = append(lines, "  "+line)
	}
	for _, a := range s.Anomalies {
		lines = append(lines, "  ANOMALY: "+a)
	}
	const maxHealed = 20 // --json lists them all
	for i, h := range s.Healed {
		if i == maxHealed {
			lines = append(lines, fmt.Sprintf("  healed: %d more (see snapshots --json)", len(s.Healed)-maxHealed))
			break
		}
		lines = append(lines, fmt.Sprintf("  healed: %s %q: its stored copy was damaged and is stored afresh (%s)", h.Collection, h.Key, h.Hash.Short()))
	}
	return lines
}

// HumanBytes writes a byte count with a binary unit: "512 B", "3.4 MiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ChangeTotals writes a snapshot's recorded changes as "+added -removed
// ~changed", with "!" when it holds an anomaly; "-" when none were recorded.
func ChangeTotals(s *snapshot.Snapshot) string {
	c := s.Changes
	if c == nil {
		return "-"
	}
	var added, removed, changed int
	for _, n := range c.Summary {
		added, removed, changed = added+n.Added, removed+n.Removed, changed+n.Changed
	}
	out := fmt.Sprintf("+%d -%d ~%d", added, removed, changed)
	if len(s.Anomalies) > 0 {
		out += " !"
	}
	return out
}
