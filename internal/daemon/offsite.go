package daemon

import (
	"fmt"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"

	"github.com/prometheus/client_golang/prometheus"
)

// offsiteWatch keeps what the daemon knows of its offsite targets' pushes:
// their metrics (enspace_sync_offsite_*, labelled by the target's name,
// never its URL) and whether a target has gone stale: received no snapshot
// for longer than its stale_after. A stale target is notified once, as an
// anomaly of the push that found it (the webhook's alert path), and again
// only after a snapshot has reached it.
//
// "Received" starts, for a target, at the daemon's start; the first
// complete push that delivers nothing replaces it with when the target's
// records say it last received one of this daemon's snapshots
// (Jobs.OffsiteLastReceived), so a restart neither forgets a stale target
// nor raises a false notice. Until then (a target that cannot be read)
// the daemon's start is a lower bound.
type offsiteWatch struct {
	mu      sync.Mutex
	started time.Time
	targets map[string]*offsiteState

	pushes   *prometheus.CounterVec // target, status
	lastPush *prometheus.GaugeVec   // target
	received *prometheus.GaugeVec   // target
	uploaded *prometheus.CounterVec // target
	pending  *prometheus.GaugeVec   // target
	stale    *prometheus.GaugeVec   // target
}

// offsiteState is one target's.
type offsiteState struct {
	received time.Time // the last push that delivered a snapshot, or the daemon's start
	seeded   bool      // received comes from a delivery or the target's records
	lastPush time.Time // the last complete push (zero: none yet)
	pending  int       // local snapshots not on the target after the last push
	stale    bool      // notified as stale, no snapshot received since
}

// OffsiteStatus is what Status shows of an offsite target's push job.
type OffsiteStatus struct {
	// LastPush is when the last complete push finished (nil: none since
	// the daemon started).
	LastPush *time.Time `json:"last_push,omitempty"`
	// LastReceived is when the target last received one of this daemon's
	// snapshots: a push's delivery, or its records (the daemon's start
	// until they have been read).
	LastReceived time.Time `json:"last_received"`
	// Pending is the local snapshots the target lacked after the last push.
	Pending int `json:"pending"`
	// StaleAfterSeconds is the target's stale_after (0: never notified).
	StaleAfterSeconds float64 `json:"stale_after_seconds"`
	// Stale tells whether the target has gone longer than StaleAfter
	// without receiving a snapshot.
	Stale bool `json:"stale"`
}

func newOffsiteWatch(reg *prometheus.Registry, now time.Time) *offsiteWatch {
	const ns = "enspace_sync_offsite"
	w := &offsiteWatch{started: now, targets: map[string]*offsiteState{},
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "pushes_total",
			Help: "Offsite push jobs finished, by target and status (complete, failed, aborted); each job retries before it fails."}, []string{"target", "status"}),
		lastPush: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_push_timestamp_seconds",
			Help: "When the last complete push to the target finished (Unix time)."}, []string{"target"}),
		received: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_received_timestamp_seconds",
			Help: "When the target last received one of this daemon's snapshots (Unix time): a push's delivery, the target's records, or the daemon's start until they are read."}, []string{"target"}),
		uploaded: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "uploaded_bytes_total",
			Help: "Bytes uploaded to the target by the daemon's pushes."}, []string{"target"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "pending_snapshots",
			Help: "Local snapshots the target lacked after the last push."}, []string{"target"}),
		stale: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "stale",
			Help: "1 when the target has received no snapshot for longer than its stale_after."}, []string{"target"}),
	}
	reg.MustRegister(w.pushes, w.lastPush, w.received, w.uploaded, w.pending, w.stale)
	return w
}

// state returns the target's state, made at first use.
func (w *offsiteWatch) state(target string) *offsiteState {
	st := w.targets[target]
	if st == nil {
		st = &offsiteState{received: w.started}
		w.targets[target] = st
		w.received.WithLabelValues(target).Set(unixSeconds(st.received))
		w.stale.WithLabelValues(target).Set(0)
	}
	return st
}

// settings gives every configured target its series, and drops those of
// targets a reload removed.
func (w *offsiteWatch) settings(s Settings) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := map[string]bool{}
	for _, ws := range s.Workspaces {
		if target, ok := app.IsOffsiteJob(ws.Name); ok && ws.Offsite {
			keep[target] = true
			w.state(target)
		}
	}
	for target := range w.targets {
		if keep[target] {
			continue
		}
		for _, vec := range []*prometheus.GaugeVec{w.lastPush, w.received, w.pending, w.stale} {
			vec.DeletePartialMatch(prometheus.Labels{"target": target})
		}
		delete(w.targets, target)
	}
}

// pushed records a finished push job of ws and, when the target has gone
// stale, adds the notice to res's anomalies, which the notification then
// carries. Until a push delivers a snapshot, lastReceived (the target's
// records) tells when the target last received one, once it answers.
func (w *offsiteWatch) pushed(ws Workspace, res *Result, now time.Time, lastReceived func() (time.Time, error)) {
	target, _ := app.IsOffsiteJob(ws.Name)
	delivered := res.Offsite != nil && len(res.Offsite.Pushed) > 0
	w.mu.Lock()
	need := !w.state(target).seeded && !delivered && res.Status == StatusComplete
	w.mu.Unlock()
	var seed time.Time
	seeded := false
	if need && lastReceived != nil {
		t, err := lastReceived()
		seed, seeded = t, err == nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state(target)
	if seeded && !st.seeded {
		st.seeded = true
		if !seed.IsZero() {
			st.received = seed
			w.received.WithLabelValues(target).Set(unixSeconds(seed))
		}
	}
	w.pushes.WithLabelValues(target, string(res.Status)).Inc()
	if p := res.Offsite; p != nil {
		w.uploaded.WithLabelValues(target).Add(float64(p.Uploaded))
		st.pending = p.Pending
		w.pending.WithLabelValues(target).Set(float64(p.Pending))
		if len(p.Pushed) > 0 {
			st.received, st.stale, st.seeded = res.FinishedAt, false, true
			w.received.WithLabelValues(target).Set(unixSeconds(st.received))
		}
	}
	if res.Status == StatusComplete {
		st.lastPush = res.FinishedAt
		w.lastPush.WithLabelValues(target).Set(unixSeconds(st.lastPush))
	}
	isStale := ws.StaleAfter > 0 && now.Sub(st.received) > ws.StaleAfter
	w.stale.WithLabelValues(target).Set(map[bool]float64{false: 0, true: 1}[isStale])
	if isStale && !st.stale && res.Status != StatusAborted {
		st.stale = true
		res.Anomalies = append(res.Anomalies, fmt.Sprintf("offsite target %s has received no snapshot for %s (stale_after %s); last received %s",
			target, now.Sub(st.received).Round(time.Minute), ws.StaleAfter, st.received.UTC().Format(time.RFC3339)))
		if res.Hint == "" {
			res.Hint = "enspace-sync offsite push --target " + target
		}
	}
}

// status returns what Status shows of the target of ws.
func (w *offsiteWatch) status(ws Workspace, now time.Time) *OffsiteStatus {
	target, _ := app.IsOffsiteJob(ws.Name)
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.state(target)
	out := &OffsiteStatus{LastReceived: st.received, Pending: st.pending, StaleAfterSeconds: ws.StaleAfter.Seconds(),
		Stale: ws.StaleAfter > 0 && now.Sub(st.received) > ws.StaleAfter}
	if !st.lastPush.IsZero() {
		t := st.lastPush
		out.LastPush = &t
	}
	return out
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
