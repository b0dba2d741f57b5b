package app

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// restoreProgress counts the objects restore-db files, for its Progress.
// The chains import two at a time, each counting in a tally of its own;
// a tally passes its count on every tallyEvery objects, under mu, so that
// the Progress hears totals in order, at a cost the million puts of a
// large restore do not see.
type restoreProgress struct {
	p     Progress
	mu    sync.Mutex
	done  int64 // objects filed, as the tallies passed them on
	total int64 // what Expect was last told
}

// tallyEvery is how many objects a tally counts before it reports them.
const tallyEvery = 1024

func newRestoreProgress(p Progress) *restoreProgress {
	return &restoreProgress{p: orNoProgress(p)}
}

// expect tells the Progress the estimated total.
func (rp *restoreProgress) expect(total int64) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.total = total
	rp.p.Expect(total, nil, true)
}

// less lowers the total by n: objects of snapshots that will not be filed.
func (rp *restoreProgress) less(n int64) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.total = max(rp.total-n, rp.done)
	rp.p.Expect(rp.total, nil, true)
}

// add passes on n objects filed (less, when n < 0: a snapshot whose
// import failed and whose objects were taken back), the latest of kind.
func (rp *restoreProgress) add(kind string, n int64) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.done += n
	rp.p.Update(kind, rp.done)
}

// tally counts one snapshot's import.
type tally struct {
	rp      *restoreProgress
	kind    string // of the latest object counted
	pending int64  // counted, not yet passed on
	sent    int64  // passed on
}

// one counts an object of kind filed.
func (t *tally) one(kind string) {
	t.kind = kind
	t.pending++
	if t.pending >= tallyEvery {
		t.flush()
	}
}

// flush passes on what the tally counted.
func (t *tally) flush() {
	if t.pending == 0 {
		return
	}
	t.rp.add(t.kind, t.pending)
	t.sent += t.pending
	t.pending = 0
}

// takeBack withdraws what the tally passed on: its snapshot was not filed
// (a later attempt files it again, or it is reported as failed).
func (t *tally) takeBack() {
	if t.sent != 0 {
		t.rp.add(t.kind, -t.sent)
	}
	t.pending, t.sent = 0, 0
}

// estimateChain returns how many objects restore-db files for each
// snapshot of chain. The first is filed whole: its trees' counts (the
// record's Objects), exactly. Each later one is filed as the one before
// it plus the objects it stored anew, which its record's Changes counts,
// against the previous complete snapshot (the one before it in the chain
// unless that one is partial): Added, Changed and Unknown, and the noise
// (ServerOnly, Equivalent, Volatile: objects whose stored bytes differ
// with nothing worth a change line); Removed are deleted, not filed.
// Those changes cover one interval: where the chain has a gap (retention
// forgot the snapshots between, here and on the target: the record's
// Changes.Since is not the one before it), the delta spans several, and
// the count is scaled by the gap over the chain's usual interval (the
// median of those between snapshots that recorded their changes since
// the one before), at most its changed collections' counts: objects
// changed again within the gap make it high, as forgotten days that
// changed more make it low. A snapshot whose record has no Changes (the
// summary could not be computed) is estimated from its AddedBytes, at the bytes an object
// took in the chain's first snapshot, at most its changed collections'
// counts: no field counts its new objects, and its added bytes hold its
// rewritten tree chunks too, so the guess is close for a large
// collection changed a little (BenchmarkRestoreDB: 108,354 for 109,000)
// and high for a small one changed much (twice as high for a tenth of
// 3,000). Collections with the previous snapshot's tree file nothing.
func estimateChain(chain []*offsite.Snapshot) []int64 {
	out := make([]int64, len(chain))
	recs := make([]snapshot.Snapshot, len(chain))
	var steps []time.Duration // between snapshots whose changes are since the one before
	for i, sn := range chain {
		_ = json.Unmarshal(sn.Record, &recs[i]) // a record that cannot be read fails its import
		if c := recs[i].Changes; i > 0 && c != nil && c.Since == chain[i-1].LocalID {
			steps = append(steps, sn.StartedAt.Sub(chain[i-1].StartedAt))
		}
	}
	var step time.Duration
	if len(steps) > 0 {
		slices.Sort(steps)
		step = steps[len(steps)/2]
	}
	var perObject float64 // bytes the first snapshot added per object
	for i, sn := range chain {
		rec := &recs[i]
		if i == 0 {
			for _, t := range sn.Collections {
				out[i] += int64(t.Count)
			}
			if out[i] > 0 {
				perObject = float64(rec.AddedBytes) / float64(out[i])
			}
			continue
		}
		prev := chain[i-1]
		changed := map[string]bool{} // kinds with a collection not as prev holds it
		var upTo int64
		for name, t := range sn.Collections {
			if pt, ok := prev.Collections[name]; ok && pt.Root == t.Root {
				continue
			}
			kind, _, _ := strings.Cut(name, "/")
			changed[kind] = true
			upTo += int64(t.Count)
		}
		if len(changed) == 0 {
			continue
		}
		if c := rec.Changes; c != nil {
			for _, kind := range slices.Sorted(maps.Keys(changed)) {
				s, n := c.Summary[kind], c.Noise[kind]
				out[i] += int64(s.Added + s.Changed + s.Unknown + n.ServerOnly + n.Equivalent + n.Volatile)
			}
			if gap := sn.StartedAt.Sub(prev.StartedAt); c.Since != prev.LocalID && step > 0 && gap > step*3/2 {
				out[i] = min(int64(float64(out[i])*gap.Seconds()/step.Seconds()+0.5), upTo)
			}
			continue
		}
		if perObject > 0 {
			out[i] = min(int64(float64(rec.AddedBytes)/perObject), upTo)
		} else {
			out[i] = upTo
		}
	}
	return out
}

// sum adds up n.
func sum(n []int64) int64 {
	var s int64
	for _, v := range n {
		s += v
	}
	return s
}
