package snapshot

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Policy says which snapshots retention keeps. Each count is how many to
// keep by that rule: zero means the rule is off, a negative count means no
// limit. A Policy with every rule off keeps everything.
type Policy struct {
	KeepLast    int // the N newest complete snapshots
	KeepDaily   int // the newest complete snapshot of each of the last N days that have one
	KeepWeekly  int // the same by ISO week
	KeepMonthly int // the same by calendar month
}

// IsZero reports whether every rule is off.
func (p Policy) IsZero() bool { return p == Policy{} }

// Decision is ApplyPolicy's verdict on one snapshot, with its reasons.
type Decision struct {
	Snapshot *Snapshot
	Keep     bool
	Reasons  []string
}

// Reasons given by ApplyPolicy.
const (
	ReasonLast         = "last snapshot"
	ReasonDaily        = "daily snapshot"
	ReasonWeekly       = "weekly snapshot"
	ReasonMonthly      = "monthly snapshot"
	ReasonLastComplete = "last complete snapshot"
	ReasonNoPolicy     = "no retention policy"
	ReasonFuture       = "newer than now (is the clock right?)"
	ReasonPartialNewer = "partial: a newer complete snapshot exists"
	ReasonBeforeDrop   = "last before a drop (anomaly in a newer snapshot)"
	ReasonPartialKept  = "partial: no newer complete snapshot yet"
	ReasonPartialEmpty = "partial with no objects: nothing to keep"
	ReasonNoRule       = "no rule keeps it"
)

// ApplyPolicy decides, with restic's semantics, which snapshots p keeps.
// Snapshots are grouped by workspace; within one, they are considered
// newest first by start time, with days, weeks (ISO) and months taken in
// loc (UTC when nil). Partial snapshots never count towards a rule: one is
// dropped when a newer complete snapshot exists, and kept otherwise; one
// with no objects (every kind failed) is never kept, even without a policy. The
// newest complete snapshot of each workspace is always kept, and so is a
// snapshot that started after now (a clock set back must not cost data).
// Decisions come in the order of snaps.
func ApplyPolicy(snaps []*Snapshot, p Policy, now time.Time, loc *time.Location) []Decision {
	if loc == nil {
		loc = time.UTC
	}
	out := make([]Decision, len(snaps))
	groups := map[string][]int{}
	for i, s := range snaps {
		out[i].Snapshot = s
		groups[s.Workspace] = append(groups[s.Workspace], i)
	}
	for _, idx := range groups {
		sort.SliceStable(idx, func(a, b int) bool {
			sa, sb := snaps[idx[a]], snaps[idx[b]]
			if !sa.StartedAt.Equal(sb.StartedAt) {
				return sa.StartedAt.After(sb.StartedAt)
			}
			return sa.ID > sb.ID
		})
		applyGroup(out, idx, p, now, loc)
	}
	return out
}

// rule is one bucketing rule: the bucket of a time, and how many buckets
// remain to keep (negative: unlimited).
type rule struct {
	reason string
	left   int
	bucket func(t time.Time) string
	last   string
}

// applyGroup decides for one workspace's snapshots, idx newest first.
func applyGroup(out []Decision, idx []int, p Policy, now time.Time, loc *time.Location) {
	rules := []*rule{
		{reason: ReasonLast, left: p.KeepLast, bucket: func(time.Time) string { return "" }},
		{reason: ReasonDaily, left: p.KeepDaily, bucket: func(t time.Time) string { return t.Format("2006-01-02") }},
		{reason: ReasonWeekly, left: p.KeepWeekly, bucket: func(t time.Time) string {
			y, w := t.ISOWeek()
			return fmt.Sprintf("%04d-W%02d", y, w)
		}},
		{reason: ReasonMonthly, left: p.KeepMonthly, bucket: func(t time.Time) string { return t.Format("2006-01") }},
	}
	seenComplete := false
	for _, i := range idx {
		d := &out[i]
		s := d.Snapshot
		t := s.StartedAt.In(loc)
		if s.StartedAt.After(now) {
			d.Reasons = append(d.Reasons, ReasonFuture)
		}
		if s.Status != StatusComplete {
			switch {
			case s.Objects == 0:
				d.Reasons = append(d.Reasons, ReasonPartialEmpty)
			case p.IsZero():
				d.Keep = true
				d.Reasons = append(d.Reasons, ReasonNoPolicy)
			case seenComplete:
				d.Reasons = append(d.Reasons, ReasonPartialNewer)
			default:
				d.Keep = true
				d.Reasons = append(d.Reasons, ReasonPartialKept)
			}
			d.Keep = d.Keep || s.StartedAt.After(now)
			continue
		}
		if !seenComplete {
			d.Keep = true
			d.Reasons = append(d.Reasons, ReasonLastComplete)
		}
		seenComplete = true
		if p.IsZero() {
			d.Keep = true
			d.Reasons = append(d.Reasons, ReasonNoPolicy)
			continue
		}
		for _, r := range rules {
			if r.left == 0 {
				continue
			}
			// keep-last counts every snapshot; the others one per bucket.
			if b := r.bucket(t); r.reason == ReasonLast || b != r.last {
				r.last = b
				r.left--
				d.Keep = true
				d.Reasons = append(d.Reasons, r.reason)
			}
		}
		if s.StartedAt.After(now) {
			d.Keep = true
		}
		if !d.Keep {
			d.Reasons = append(d.Reasons, ReasonNoRule)
		}
	}
	keepBeforeDrops(out, idx)
}

// keepBeforeDrops keeps, for each snapshot flagged with an anomaly (a type
// gone, a kind shrunk), the newest complete snapshot before it: the one a
// restore would bring the lost objects back from. idx is newest first.
func keepBeforeDrops(out []Decision, idx []int) {
	for _, i := range idx {
		if d := &out[i]; d.Snapshot.Protected != "" && d.Snapshot.Status == StatusComplete {
			if !d.Keep {
				d.Reasons = d.Reasons[:0]
			}
			d.Keep = true
			d.Reasons = append(d.Reasons, ReasonBeforeDrop)
		}
	}
	for n, i := range idx {
		if len(out[i].Snapshot.Anomalies) == 0 {
			continue
		}
		for _, j := range idx[n+1:] {
			d := &out[j]
			if d.Snapshot.Status != StatusComplete {
				continue
			}
			if !d.Keep {
				d.Reasons = d.Reasons[:0]
			}
			d.Keep = true
			if !slices.Contains(d.Reasons, ReasonBeforeDrop) { // also protected by the backup that saw the drop
				d.Reasons = append(d.Reasons, ReasonBeforeDrop)
			}
			break
		}
	}
}
