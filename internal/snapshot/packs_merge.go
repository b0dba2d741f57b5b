package snapshot

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"go.etcd.io/bbolt"
)

// storedPacks are the keys of the packs a run stored, in order; batches
// written in the background add to it (synchronized).
type storedPacks struct {
	mu   sync.Mutex
	keys []uint64
}

func (s *storedPacks) add(keys []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, keys...)
}

func (s *storedPacks) list() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys)
}

// smallPack is a pack a commit may merge with its neighbours: its key, its
// record (copied out) and its decompressed blobs.
type smallPack struct {
	key  []byte
	rec  []byte
	view packView
	raw  []byte
}

// mergeSmallPacks merges the small packs the run stored (keys, ascending)
// that lie next to each other in the packs bucket into packs of up to
// packTarget raw bytes, and returns the bytes this added to the records the
// run stored (negative: the bytes it saved). A batch closes its last
// pack: a daily run, whose 5,000-object batches hold some fifty new
// objects each, left a pack of about 2.8 KB a batch, compressed apart (56
// bytes an object version against 41 in full packs) and two to a bbolt
// node of two pages. See the package doc (# Packs).
//
// Only the run's own packs are merged: the bytes saved are the run's, and
// the packs of a run not yet committed (another workspace's, in the
// daemon) stay apart, so that the prune after its abort deletes them
// whole. Packs cover disjoint, ascending ranges of blob ids and a blob is
// looked for in the last pack filed at or below its id: packs next to each
// other in the bucket merge into one filed under the first one's key, with
// the same ids, so no tree, index entry or pending entry changes. A pack
// that fails its checksum or does not decompress, or one of whose blobs is
// not JSON, is left as it is (Verify names it) and splits the run of packs
// around it. The caller holds db.gc shared (no prune runs); the unfiled
// write lock keeps other writers' blob transactions out, and each pack
// merged is checked in the write transaction to be the one read.
func (db *DB) mergeSmallPacks(keys []uint64) (int64, error) {
	if len(keys) < 2 {
		return 0, nil
	}
	u := db.unfiled
	u.write.Lock()
	defer u.write.Unlock()
	var groups [][]smallPack
	var skipped []uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		packs := tx.Bucket(bucketPacks)
		if packs == nil {
			return nil
		}
		c := packs.Cursor()
		var run []smallPack
		end := func() {
			groups = append(groups, mergeGroups(run)...)
			run = nil
		}
		for _, key := range keys {
			k, v := c.Seek(idKey(key))
			if k == nil || !bytes.Equal(k, idKey(key)) {
				end()
				continue
			}
			p, ok, bad := mergeable(k, v)
			if bad {
				skipped = append(skipped, key)
			}
			if !ok {
				end()
				continue
			}
			if len(run) > 0 {
				// Adjacent: no other pack between the last one and this.
				pk, _ := c.Prev()
				if !bytes.Equal(pk, run[len(run)-1].key) {
					end()
				}
			}
			run = append(run, p)
		}
		end()
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(skipped) > 0 {
		db.log.Warn("packs that do not read whole were left apart; run enspace-sync verify --read-data", "packs", len(skipped), "first", skipped[0])
	}
	if len(groups) == 0 {
		return 0, nil
	}
	type merged struct {
		group []smallPack
		rec   []byte
	}
	out := make([]merged, 0, len(groups))
	for _, g := range groups {
		rec, err := mergePacks(g)
		if err != nil {
			return 0, err
		}
		out = append(out, merged{group: g, rec: rec})
	}
	var delta int64
	err = db.update(func(tx *bbolt.Tx) error {
		delta = 0
		packs := tx.Bucket(bucketPacks)
		packs.FillPercent = appendFill
	next:
		for _, m := range out {
			for _, p := range m.group {
				if !bytes.Equal(packs.Get(p.key), p.rec) {
					continue next // changed since it was read
				}
			}
			for _, p := range m.group {
				if err := packs.Delete(p.key); err != nil {
					return err
				}
				delta -= int64(len(p.key) + len(p.rec))
			}
			key := m.group[0].key
			if err := packs.Put(key, m.rec); err != nil {
				return err
			}
			delta += int64(len(key) + len(m.rec))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("merge small packs: %w", err)
	}
	return delta, nil
}

// mergeable returns pack record v (of key k) decompressed when a commit may
// merge it: of format 5, under half of packTarget raw, sound (its checksum
// holds, it decompresses, each blob is JSON with a content hash). bad
// reports a pack small enough that failed those checks.
func mergeable(k, v []byte) (p smallPack, ok, bad bool) {
	if len(v) == 0 || v[0] != packFormat {
		return p, false, false
	}
	view, err := decodePack(v)
	if err != nil {
		return p, false, true
	}
	if 2*view.offs[len(view.offs)-1] >= packTarget {
		return p, false, false
	}
	if !packSumOK(v) {
		return p, false, true
	}
	rec := bytes.Clone(v)
	if view, err = decodePack(rec); err != nil {
		return p, false, true
	}
	raw, err := view.unpack()
	if err != nil {
		return p, false, true
	}
	for i := range view.ids {
		if _, err := ContentHash(raw[view.offs[i]:view.offs[i+1]]); err != nil {
			return p, false, true
		}
	}
	return smallPack{key: bytes.Clone(k), rec: rec, view: view, raw: raw}, true, false
}

// mergeGroups cuts a run of adjacent small packs, in ascending key order,
// into groups of up to packTarget raw bytes; only groups of two packs or
// more are returned.
func mergeGroups(run []smallPack) [][]smallPack {
	var out [][]smallPack
	var g []smallPack
	size := 0
	for _, p := range run {
		if len(g) > 0 && size+len(p.raw) > packTarget {
			if len(g) > 1 {
				out = append(out, g)
			}
			g, size = nil, 0
		}
		g, size = append(g, p), size+len(p.raw)
	}
	if len(g) > 1 {
		out = append(out, g)
	}
	return out
}

// mergePacks returns the record of one pack holding the blobs of group,
// whose ids ascend from pack to pack.
func mergePacks(group []smallPack) ([]byte, error) {
	var ids []uint64
	var lens []int
	var raw []byte
	for _, p := range group {
		if len(ids) > 0 && p.view.ids[0] <= ids[len(ids)-1] {
			return nil, fmt.Errorf("%w: packs out of order", ErrCorrupt)
		}
		ids, lens, raw = append(ids, p.view.ids...), append(lens, p.view.lens...), append(raw, p.raw...)
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		return nil, err
	}
	return encodePack(ids, lens, frame), nil
}
