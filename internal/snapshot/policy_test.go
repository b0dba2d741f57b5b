package snapshot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// snaps builds snapshots from "2026-03-14 09:00 c" lines (c complete,
// p partial, e partial with no objects), with ids s0, s1, ... in order, in workspace acme unless the
// line ends with a workspace name.
func snaps(t *testing.T, lines ...string) []*Snapshot {
	t.Helper()
	out := make([]*Snapshot, len(lines))
	for i, l := range lines {
		f := strings.Fields(l)
		at, err := time.Parse("2006-01-02 15:04", f[0]+" "+f[1])
		if err != nil {
			t.Fatal(err)
		}
		s := &Snapshot{ID: fmt.Sprint("s", i), Workspace: "acme", StartedAt: at, Status: StatusComplete}
		switch f[2] {
		case "p":
			s.Status, s.Objects = StatusPartial, 1
		case "e":
			s.Status = StatusPartial
		}
		if len(f) > 3 {
			s.Workspace = f[3]
		}
		out[i] = s
	}
	return out
}

// verdicts renders decisions as "s0 keep: reason, reason".
func verdicts(ds []Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		v := "drop"
		if d.Keep {
			v = "keep"
		}
		out[i] = d.Snapshot.ID + " " + v + ": " + strings.Join(d.Reasons, ", ")
	}
	return out
}

func TestApplyPolicy(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		snaps []string
		p     Policy
		loc   *time.Location
		want  []string
	}{{
		name:  "keep-last",
		snaps: []string{"2026-03-10 01:00 c", "2026-03-11 01:00 c", "2026-03-12 01:00 c", "2026-03-13 01:00 c"},
		p:     Policy{KeepLast: 2},
		want: []string{"s0 drop: no rule keeps it", "s1 drop: no rule keeps it",
			"s2 keep: last snapshot", "s3 keep: last complete snapshot, last snapshot"},
	}, {
		name: "daily across days keeps the newest of each day",
		snaps: []string{"2026-03-10 01:00 c", "2026-03-10 23:00 c", "2026-03-11 02:00 c", "2026-03-11 08:00 c",
			"2026-03-12 05:00 c", "2026-03-12 06:00 c"},
		p: Policy{KeepDaily: 2},
		want: []string{"s0 drop: no rule keeps it", "s1 drop: no rule keeps it", "s2 drop: no rule keeps it",
			"s3 keep: daily snapshot", "s4 drop: no rule keeps it", "s5 keep: last complete snapshot, daily snapshot"},
	}, {
		name:  "daily counts days in the given location",
		snaps: []string{"2026-03-10 22:00 c", "2026-03-11 01:00 c"},
		p:     Policy{KeepDaily: 2},
		loc:   time.FixedZone("UTC+5", 5*3600), // both on March 11 there
		want:  []string{"s0 drop: no rule keeps it", "s1 keep: last complete snapshot, daily snapshot"},
	}, {
		name: "weekly by ISO week and monthly",
		snaps: []string{"2025-12-29 10:00 c", "2026-01-04 10:00 c", "2026-01-05 10:00 c",
			"2026-02-01 10:00 c", "2026-02-02 10:00 c"},
		// 2025-12-29 is in ISO week 2026-W01, with 2026-01-04.
		p: Policy{KeepWeekly: 5, KeepMonthly: 2},
		want: []string{"s0 drop: no rule keeps it", "s1 keep: weekly snapshot", "s2 keep: weekly snapshot, monthly snapshot",
			"s3 keep: weekly snapshot", "s4 keep: last complete snapshot, weekly snapshot, monthly snapshot"},
	}, {
		name:  "never the last complete, even with keep-last 0 and a partial after it",
		snaps: []string{"2026-03-01 01:00 c", "2026-03-02 01:00 c", "2026-03-03 01:00 p"},
		p:     Policy{KeepMonthly: 1, KeepLast: 0, KeepDaily: 0},
		want: []string{"s0 drop: no rule keeps it", "s1 keep: last complete snapshot, monthly snapshot",
			"s2 keep: partial: no newer complete snapshot yet"},
	}, {
		name:  "partials never count and go once a newer complete exists",
		snaps: []string{"2026-03-01 01:00 c", "2026-03-02 01:00 p", "2026-03-03 01:00 p", "2026-03-04 01:00 c"},
		p:     Policy{KeepLast: 2},
		want: []string{"s0 keep: last snapshot", "s1 drop: partial: a newer complete snapshot exists",
			"s2 drop: partial: a newer complete snapshot exists", "s3 keep: last complete snapshot, last snapshot"},
	}, {
		name:  "only partials: all kept",
		snaps: []string{"2026-03-01 01:00 p", "2026-03-02 01:00 p"},
		p:     Policy{KeepLast: 1},
		want:  []string{"s0 keep: partial: no newer complete snapshot yet", "s1 keep: partial: no newer complete snapshot yet"},
	}, {
		name:  "a partial with no objects is never kept, even the newest, even without a policy",
		snaps: []string{"2026-03-01 01:00 c", "2026-03-02 01:00 e", "2026-03-03 01:00 p", "2026-03-04 01:00 e"},
		p:     Policy{KeepLast: 1},
		want: []string{"s0 keep: last complete snapshot, last snapshot", "s1 drop: partial with no objects: nothing to keep",
			"s2 keep: partial: no newer complete snapshot yet", "s3 drop: partial with no objects: nothing to keep"},
	}, {
		name:  "no policy keeps everything",
		snaps: []string{"2026-03-01 01:00 c", "2026-03-02 01:00 p", "2026-03-03 01:00 c"},
		want:  []string{"s0 keep: no retention policy", "s1 keep: no retention policy", "s2 keep: last complete snapshot, no retention policy"},
	}, {
		name:  "unlimited keep-last",
		snaps: []string{"2026-03-01 01:00 c", "2026-03-02 01:00 c"},
		p:     Policy{KeepLast: -1},
		want:  []string{"s0 keep: last snapshot", "s1 keep: last complete snapshot, last snapshot"},
	}, {
		name:  "workspaces are separate",
		snaps: []string{"2026-03-01 01:00 c beta", "2026-03-02 01:00 c", "2026-03-03 01:00 c"},
		p:     Policy{KeepLast: 1},
		want:  []string{"s0 keep: last complete snapshot, last snapshot", "s1 drop: no rule keeps it", "s2 keep: last complete snapshot, last snapshot"},
	}, {
		name:  "a snapshot newer than now is kept",
		snaps: []string{"2026-03-19 01:00 c", "2026-03-25 01:00 c", "2026-03-26 01:00 c"},
		p:     Policy{KeepLast: 1},
		want: []string{"s0 drop: no rule keeps it", "s1 keep: newer than now (is the clock right?)",
			"s2 keep: newer than now (is the clock right?), last complete snapshot, last snapshot"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := verdicts(ApplyPolicy(snaps(t, tt.snaps...), tt.p, now, tt.loc))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyPolicyKeepsTheSnapshotBeforeADrop(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	snaps := []*Snapshot{
		{ID: "a", Workspace: "acme", StartedAt: day(1), Status: StatusComplete},
		{ID: "b", Workspace: "acme", StartedAt: day(2), Status: StatusComplete},
		{ID: "c", Workspace: "acme", StartedAt: day(3), Status: StatusComplete, Anomalies: []string{"type contracts disappeared"}},
		{ID: "d", Workspace: "acme", StartedAt: day(4), Status: StatusComplete},
	}
	got := ApplyPolicy(snaps, Policy{KeepLast: 1}, day(5), time.UTC)
	keep := map[string]bool{}
	for _, d := range got {
		keep[d.Snapshot.ID] = d.Keep
		if d.Snapshot.ID == "b" && (len(d.Reasons) != 1 || d.Reasons[0] != ReasonBeforeDrop) {
			t.Errorf("b reasons = %v, want [%s]", d.Reasons, ReasonBeforeDrop)
		}
	}
	if want := map[string]bool{"a": false, "b": true, "c": false, "d": true}; fmt.Sprint(keep) != fmt.Sprint(want) {
		t.Errorf("keep = %v, want %v", keep, want)
	}
}

func TestApplyPolicyKeepsAProtectedSnapshot(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	snaps := []*Snapshot{
		{ID: "a", Workspace: "acme", StartedAt: day(1), Status: StatusComplete},
		{ID: "b", Workspace: "acme", StartedAt: day(2), Status: StatusComplete, Protected: "last before a drop"},
		{ID: "d", Workspace: "acme", StartedAt: day(4), Status: StatusComplete},
	}
	for _, d := range ApplyPolicy(snaps, Policy{KeepLast: 1}, day(5), time.UTC) {
		if want := d.Snapshot.ID != "a"; d.Keep != want {
			t.Errorf("%s keep = %v, want %v (%v)", d.Snapshot.ID, d.Keep, want, d.Reasons)
		}
	}
}

// TestApplyPolicyNamesTheDropOnce: a snapshot protected by the backup
// whose anomaly also lies in a newer snapshot (the usual case: the backup
// marks the snapshot before the drop) is kept for one reason, said once.
func TestApplyPolicyNamesTheDropOnce(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	snaps := []*Snapshot{
		{ID: "b", Workspace: "acme", StartedAt: day(2), Status: StatusComplete, Protected: "last before a drop in c: type contracts disappeared"},
		{ID: "c", Workspace: "acme", StartedAt: day(3), Status: StatusComplete, Anomalies: []string{"type contracts disappeared"}},
		{ID: "d", Workspace: "acme", StartedAt: day(4), Status: StatusComplete},
	}
	for _, d := range ApplyPolicy(snaps, Policy{KeepLast: 1}, day(5), time.UTC) {
		if d.Snapshot.ID == "b" && fmt.Sprint(d.Reasons) != fmt.Sprint([]string{ReasonBeforeDrop}) {
			t.Errorf("b reasons = %q, want [%s] once", d.Reasons, ReasonBeforeDrop)
		}
	}
}
