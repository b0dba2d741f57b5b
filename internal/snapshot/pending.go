package snapshot

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// A run's pending entries (collection, sort key, blob id) wait in the
// pending bucket, under the run's id, until its commit builds the trees
// and deletes them. Each batch writes one record, filed under the run
// bucket's next sequence (8 bytes, big-endian, so records sort in the
// order they were written): its entries sorted by collection and key, a
// later Put of the same key replacing an earlier one, grouped by
// collection, each key prefix-compressed and each id a difference from
// the previous one, as in chunks (tree.go).
//
// Up to format 3 every entry was a bbolt key of its own, in a bucket per
// collection: about 35 bytes an entry with bbolt's element, against 5-6
// now. The entries live only during a run, but a first backup's peak
// sets the file's size: on the storage benchmark the first run's
// entries left 2.8 MB of free pages behind them. A run pending in the
// old layout was left by an older build's process that died: Open's
// recovery deletes it whole, as any interrupted run's, and prune reads
// both layouts meanwhile.
const pendingFormat byte = 1

// pendingKey is the key of a run's next pending record.
func pendingKey(run *bbolt.Bucket) ([]byte, error) {
	seq, err := run.NextSequence()
	if err != nil {
		return nil, fmt.Errorf("next pending record: %w", err)
	}
	return binary.BigEndian.AppendUint64(nil, seq), nil
}

// writePending files the batch's pending entries, each naming its blob's
// id (ids), as one record.
func (w *Writer) writePending(tx *bbolt.Tx, batch []pending, ids map[Hash]uint64) error {
	run := tx.Bucket(bucketPending).Bucket([]byte(w.id))
	if run == nil {
		return fmt.Errorf("run %s is no longer pending", w.id)
	}
	k, err := pendingKey(run)
	if err != nil {
		return err
	}
	run.FillPercent = appendFill
	if err := run.Put(k, encodePending(batch, ids)); err != nil {
		return fmt.Errorf("pending entries: %w", err)
	}
	return nil
}

// encodePending encodes the entries of batch (non-empty): the format byte,
// then for each collection, in byte order, its name's length and bytes,
// its entry count and its entries as a chunk's (appendKey, appendID).
// Of two entries with the same collection and key, the later one is kept.
func encodePending(batch []pending, ids map[Hash]uint64) []byte {
	order := make([]int, len(batch))
	for i := range order {
		order[i] = i
	}
	cmp := func(a, b int) int {
		if c := bytes.Compare(batch[a].coll, batch[b].coll); c != 0 {
			return c
		}
		return compareKeys(batch[a].key, batch[b].key)
	}
	slices.SortStableFunc(order, cmp)
	kept := order[:0]
	for j, i := range order {
		if j+1 < len(order) && cmp(i, order[j+1]) == 0 {
			continue // a later Put replaces this one
		}
		kept = append(kept, i)
	}
	b := make([]byte, 0, 16+len(kept)*6)
	b = append(b, pendingFormat)
	for start := 0; start < len(kept); {
		coll := batch[kept[start]].coll
		end := start + 1
		for end < len(kept) && bytes.Equal(batch[kept[end]].coll, coll) {
			end++
		}
		b = binary.AppendUvarint(b, uint64(len(coll)))
		b = append(b, coll...)
		b = binary.AppendUvarint(b, uint64(end-start))
		var prev []byte
		var prevID uint64
		for _, i := range kept[start:end] {
			p := &batch[i]
			id := ids[p.hash]
			b = appendKey(b, prev, p.key)
			b = appendID(b, prevID, id)
			prev, prevID = p.key, id
		}
		start = end
	}
	return b
}

// pendingReader reads the entries of one pending record in order. Every
// read is bounds-checked: a damaged record is an error, never a panic.
type pendingReader struct {
	seq  uint64 // the record's sequence: a later record's entries win
	d    decoder
	coll []byte // collection of the entries being read
	left int    // entries left in coll
	// The current entry, valid after next returned true.
	key []byte
	id  uint64
}

func newPendingReader(seq uint64, rec []byte) (*pendingReader, error) {
	if len(rec) == 0 || rec[0] != pendingFormat {
		return nil, fmt.Errorf("%w: pending record %d: unknown format", ErrCorrupt, seq)
	}
	return &pendingReader{seq: seq, d: decoder{b: rec[1:], slab: true}}, nil
}

// next moves to the record's next entry; false at its end or on error
// (r.d.err).
func (r *pendingReader) next() bool {
	d := &r.d
	if r.left == 0 {
		if d.err != nil || len(d.b) == 0 {
			return false
		}
		n := d.uvarint(maxNameLen)
		if d.err == nil && uint64(len(d.b)) < n {
			d.err = fmt.Errorf("%w: truncated collection name in pending record", ErrCorrupt)
		}
		if d.err != nil {
			return false
		}
		coll := bytes.Clone(d.b[:n])
		d.b = d.b[n:]
		if r.coll != nil && bytes.Compare(r.coll, coll) >= 0 {
			d.err = fmt.Errorf("%w: collections out of order in pending record", ErrCorrupt)
			return false
		}
		r.coll = coll
		r.left = int(d.uvarint(uint64(len(d.b) / minChunkEntry)))
		if d.err == nil && r.left == 0 {
			d.err = fmt.Errorf("%w: empty collection in pending record", ErrCorrupt)
		}
		d.prev, d.prevID = nil, 0
	}
	r.key = d.key()
	r.id = d.id()
	r.left--
	return d.err == nil
}

// pendingMerge yields a run's pending entries in collection and key order,
// each key once, with the id its latest record gives it: a merge of the
// run's records, read from copies taken in one transaction.
type pendingMerge struct {
	h   readerHeap
	err error
}

func loadPending(run *bbolt.Bucket) (*pendingMerge, error) {
	m := &pendingMerge{}
	err := run.ForEach(func(k, v []byte) error {
		if v == nil || len(k) != 8 {
			return fmt.Errorf("%w: pending key %q is not a record", ErrCorrupt, k)
		}
		r, err := newPendingReader(binary.BigEndian.Uint64(k), bytes.Clone(v))
		if err != nil {
			return err
		}
		if r.next() {
			m.h = append(m.h, r)
		}
		return r.d.err
	})
	if err != nil {
		return nil, err
	}
	heap.Init(&m.h)
	return m, nil
}

// peek returns the next entry without taking it; ok is false at the end
// or on error (m.err).
func (m *pendingMerge) peek() (coll, key []byte, id uint64, ok bool) {
	if m.err != nil || len(m.h) == 0 {
		return nil, nil, 0, false
	}
	r := m.h[0]
	return r.coll, r.key, r.id, true
}

// take moves past the entry peek returned and past the older entries of
// the same key.
func (m *pendingMerge) take() {
	coll, key := m.h[0].coll, m.h[0].key
	for len(m.h) > 0 && bytes.Equal(m.h[0].coll, coll) && bytes.Equal(m.h[0].key, key) {
		r := m.h[0]
		if r.next() {
			heap.Fix(&m.h, 0)
			continue
		}
		if r.d.err != nil {
			m.err = fmt.Errorf("pending record %d: %w", r.seq, r.d.err)
			return
		}
		heap.Pop(&m.h)
	}
}

// readerHeap orders readers by their current entry, the latest record
// first among equal entries.
type readerHeap []*pendingReader

func (h readerHeap) Len() int { return len(h) }
func (h readerHeap) Less(i, j int) bool {
	if c := bytes.Compare(h[i].coll, h[j].coll); c != 0 {
		return c < 0
	}
	if c := compareKeys(h[i].key, h[j].key); c != 0 {
		return c < 0
	}
	return h[i].seq > h[j].seq
}
func (h readerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readerHeap) Push(x any)   { *h = append(*h, x.(*pendingReader)) }
func (h *readerHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// forEachPending calls fn with the blob id of every pending entry of every
// run, in either layout (see pendingFormat).
func forEachPending(tx *bbolt.Tx, fn func(run []byte, id uint64) error) error {
	runs := tx.Bucket(bucketPending)
	return runs.ForEachBucket(func(run []byte) error {
		rb := runs.Bucket(run)
		return rb.ForEach(func(k, v []byte) error {
			if v == nil { // a collection bucket of the old layout
				return rb.Bucket(k).ForEach(func(k, v []byte) error {
					id, ok := idFromValue(v)
					if !ok {
						return fmt.Errorf("%w: pending entry %q of run %s has no blob id", ErrCorrupt, k, run)
					}
					return fn(run, id)
				})
			}
			r, err := newPendingReader(0, v)
			if err != nil {
				return fmt.Errorf("run %s: %w", run, err)
			}
			for r.next() {
				if err := fn(run, r.id); err != nil {
					return err
				}
			}
			if r.d.err != nil {
				return fmt.Errorf("run %s: pending record %x: %w", run, k, r.d.err)
			}
			return nil
		})
	})
}
