package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
)

// sweepBatch is how many keys one prune transaction scans.
const sweepBatch = 10_000

// PruneStats reports what Prune removed.
type PruneStats struct {
	Blobs  int   // blobs removed
	Chunks int   // chunks and index nodes removed
	Roots  int   // roots removed
	Bytes  int64 // bytes freed (keys and values, index entries too), reusable inside the file
	Kept   int   // blobs, chunks, index nodes and roots still referenced
}

// Objects returns the number of stored objects removed.
func (s PruneStats) Objects() int { return s.Blobs + s.Chunks + s.Roots }

// Forget removes the records of the snapshots with these full ids, all or
// none. Their data stays until Prune. An unknown id is an error wrapping
// ErrNotFound.
func (db *DB) Forget(ids ...string) error {
	err := db.update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		for _, id := range ids {
			if b.Get([]byte(id)) == nil {
				return fmt.Errorf("snapshot %q: %w", id, ErrNotFound)
			}
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget snapshots %s: %w", strings.Join(ids, ", "), err)
	}
	return nil
}

// Prune removes the blobs, chunks (index nodes too) and roots that no snapshot record and no
// open run references, with their index entries. It marks from every
// record's roots and every pending entry, then sweeps each bucket in
// batches. Writers wait while it runs. It refuses to sweep when a referenced
// root or chunk is missing or damaged (run Verify), since a repair may still
// need what it would remove.
func (db *DB) Prune() (PruneStats, error) {
	var st PruneStats
	if db.opts.ReadOnly {
		return st, ErrReadOnly
	}
	db.gc.Lock()
	defer db.gc.Unlock()
	m, err := db.mark()
	if err != nil {
		return st, fmt.Errorf("prune: %w", err)
	}
	// Waiting index entries of the blobs kept are filed, and the others
	// forgotten, before the sweep removes those blobs: the sweep then sees
	// every blob the way a reader does.
	if err := db.fileBlobs(m.blobs.has); err != nil {
		return st, fmt.Errorf("prune: file blob index entries: %w", err)
	}
	st.Kept = m.blobs.count() + m.chunks.count() + len(m.roots)
	unmarkedID := func(set *idSet) func(k, v []byte) bool {
		return func(k, _ []byte) bool {
			id, ok := idFromKey(k)
			return !ok || !set.has(id)
		}
	}
	// An index entry goes before the record it points to: a crash between
	// the two leaves a record no index finds (garbage for the next prune),
	// never an index entry that dedups new content to a missing record.
	for _, s := range []struct {
		bucket []byte
		victim func(k, v []byte) bool
		n      *int
		index  *groupIndex // swept instead, keeping the ids of live
		live   *idSet
	}{
		{bucketRoots, func(k, _ []byte) bool { h, ok := hashFrom(k); return !ok || !m.roots[h] }, &st.Roots, nil, nil},
		{bucketChunkGroups, nil, nil, chunkIndex, m.chunks},
		{bucketChunks, unmarkedID(m.chunks), &st.Chunks, nil, nil},
		{bucketBlobGroups, nil, nil, blobIndex, m.blobs},
		{bucketDamaged, unmarkedID(m.blobs), nil, nil, nil},
		{bucketBlobs, unmarkedID(m.blobs), &st.Blobs, nil, nil},
	} {
		var n int
		var freed int64
		var err error
		if s.index != nil {
			n, freed, err = db.sweepIndex(s.index, s.live.has)
		} else {
			n, freed, err = db.sweep(s.bucket, s.victim)
		}
		if s.n != nil {
			*s.n += n
		}
		st.Bytes += freed
		if err != nil {
			return st, fmt.Errorf("prune %s: %w", s.bucket, err)
		}
	}
	n, freed, err := db.sweepPacks(m.blobs)
	st.Blobs += n
	st.Bytes += freed
	if err != nil {
		return st, fmt.Errorf("prune %s: %w", bucketPacks, err)
	}
	return st, nil
}

type marks struct {
	roots         map[Hash]bool
	chunks, blobs *idSet
}

// mark collects every referenced root, chunk and blob. The caller holds
// db.gc exclusively.
func (db *DB) mark() (*marks, error) {
	m := &marks{roots: map[Hash]bool{}}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		m.chunks = newIDSet(tx.Bucket(bucketChunks).Sequence())
		m.blobs = newIDSet(tx.Bucket(bucketBlobs).Sequence())
		err := tx.Bucket(bucketSnapshots).ForEach(func(k, v []byte) error {
			var rec struct {
				Collections map[string]Collection `json:"collections"`
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("%w: snapshot record %s: %v", ErrCorrupt, k, err)
			}
			for _, c := range rec.Collections {
				m.roots[c.Root] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		return forEachPending(tx, func(run []byte, id uint64) error {
			if !m.blobs.holds(id) {
				return fmt.Errorf("%w: pending entry of run %s names blob %d, never stored", ErrCorrupt, run, id)
			}
			m.blobs.add(id)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// A patch keeps its base, and its base's tree, whatever snapshot
	// the base's own root belonged to.
	bases := map[Hash]bool{}
	for root := range m.roots {
		v, err := db.loadView(root)
		if err != nil {
			return nil, err
		}
		if v.patch != nil {
			for _, p := range v.patch {
				if p.id == 0 {
					continue
				}
				if !m.blobs.holds(p.id) {
					return nil, fmt.Errorf("%w: patch %s names blob %d, never stored", ErrCorrupt, root.Short(), p.id)
				}
				m.blobs.add(p.id)
			}
			if m.roots[v.base] || bases[v.base] {
				continue
			}
			bases[v.base] = true
		}
		if err := db.markRefs(m, v.level-1, v.refs, "root "+v.base.Short()); err != nil {
			return nil, err
		}
	}
	for h := range bases {
		m.roots[h] = true
	}
	return m, nil
}

// markRefs marks the children refs of parent, of the given level (0:
// chunks), and, for each not marked before, everything under it.
func (db *DB) markRefs(m *marks, level int, refs []chunkRef, parent string) error {
	for _, r := range refs {
		if !m.chunks.holds(r.id) {
			return fmt.Errorf("%w: %s names chunk %d, never stored", ErrCorrupt, parent, r.id)
		}
		if !m.chunks.add(r.id) {
			continue
		}
		if level > 0 {
			children, err := db.loadIndex(level, r.id)
			if err != nil {
				return err
			}
			if err := db.markRefs(m, level-1, children, fmt.Sprintf("index node %d", r.id)); err != nil {
				return err
			}
			continue
		}
		es, err := db.loadChunk(r.id)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !m.blobs.holds(e.id) {
				return fmt.Errorf("%w: chunk %d names blob %d, never stored", ErrCorrupt, r.id, e.id)
			}
			m.blobs.add(e.id)
		}
	}
	return nil
}

// sweep deletes the keys of bucket that victim picks, a batch per
// transaction, and returns how many it deleted and their bytes (keys and
// values).
func (db *DB) sweep(bucket []byte, victim func(k, v []byte) bool) (removed int, freed int64, err error) {
	var from []byte
	for {
		var victims [][]byte
		var next []byte
		var size int64
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for n := 0; k != nil; k, v = c.Next() {
				if n == sweepBatch {
					next = bytes.Clone(k)
					return nil
				}
				n++
				if v != nil && victim(k, v) { // v is nil for a nested bucket
					victims = append(victims, bytes.Clone(k))
					size += int64(len(k) + len(v))
				}
			}
			return nil
		})
		if err != nil {
			return removed, freed, err
		}
		if len(victims) > 0 {
			err = db.bolt.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket(bucket)
				for _, k := range victims {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return removed, freed, err
			}
			removed += len(victims)
			freed += size
		}
		if next == nil {
			return removed, freed, nil
		}
		from = next
	}
}
