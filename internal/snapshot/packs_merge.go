package snapshot

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// mergeLookBack bounds how many packs, from the last one back, a commit
// looks at for small ones to merge.
const mergeLookBack = 512

// smallPack is a pack a commit may merge with its neighbours: its key,
// its record (copied out) and its raw size.
type smallPack struct {
	key []byte
	rec []byte
	raw int
}

// mergeSmallPacks merges the small packs at the end of the packs bucket
// (those of the last runs) into packs of up to packTarget raw bytes, and
// returns the bytes this added to the file's records (negative: the bytes
// it saved). A batch closes its last pack: a daily run, whose 5,000-object
// batches hold some fifty new objects each, left a pack of about 2.8 KB a
// batch, compressed apart (56 bytes an object version against 41 in full
// packs) and two to a bbolt node of two pages. See the package doc
// (# Packs).
//
// Packs cover disjoint, ascending ranges of blob ids and a blob is looked
// for in the last pack filed at or below its id: packs next to each other
// in the bucket merge into one filed under the first one's key, with the
// same ids, so no tree, index entry or pending entry changes. A pack of an
// older format, one that fails its checksum or does not decompress, or a
// blob that is not JSON, is left as it is (Verify names it), and ends the
// run of packs merged across it. The caller holds db.gc shared (no prune
// runs); the unfiled write lock keeps other writers' blob transactions out,
// and each pack merged is checked in the write transaction to be the one
// read.
func (db *DB) mergeSmallPacks() (int64, error) {
	u := db.unfiled
	u.write.Lock()
	defer u.write.Unlock()
	var groups [][]smallPack
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		packs := tx.Bucket(bucketPacks)
		if packs == nil {
			return nil
		}
		var run []smallPack // descending key order
		c := packs.Cursor()
		n := 0
		for k, v := c.Last(); k != nil && n < mergeLookBack; k, v = c.Prev() {
			n++
			if p, ok := mergeable(k, v); ok {
				run = append(run, p)
				continue
			}
			groups = append(groups, mergeGroups(run)...)
			run = nil
		}
		groups = append(groups, mergeGroups(run)...)
		return nil
	})
	if err != nil || len(groups) == 0 {
		return 0, err
	}
	type merged struct {
		group []smallPack
		key   []byte
		rec   []byte
	}
	var out []merged
	for _, g := range groups {
		rec, err := mergePacks(g)
		if err != nil {
			continue // left as they are, for Verify to name
		}
		out = append(out, merged{group: g, key: g[0].key, rec: rec})
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
			if err := packs.Put(m.key, m.rec); err != nil {
				return err
			}
			delta += int64(len(m.key) + len(m.rec))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("merge small packs: %w", err)
	}
	return delta, nil
}

// mergeable returns pack record v (of key k) as a small pack when a
// commit may merge it: of format 5, sound, under half of packTarget raw.
func mergeable(k, v []byte) (smallPack, bool) {
	if len(v) == 0 || v[0] != packFormat || !packSumOK(v) {
		return smallPack{}, false
	}
	p, err := decodePack(v)
	if err != nil {
		return smallPack{}, false
	}
	raw := p.offs[len(p.offs)-1]
	if 2*raw >= packTarget {
		return smallPack{}, false
	}
	return smallPack{key: bytes.Clone(k), rec: bytes.Clone(v), raw: raw}, true
}

// mergeGroups cuts a run of adjacent small packs, given in descending key
// order, into groups in ascending order of up to packTarget raw bytes;
// only groups of two packs or more are returned.
func mergeGroups(desc []smallPack) [][]smallPack {
	var out [][]smallPack
	var g []smallPack
	size := 0
	for i := len(desc) - 1; i >= 0; i-- {
		p := desc[i]
		if len(g) > 0 && size+p.raw > packTarget {
			if len(g) > 1 {
				out = append(out, g)
			}
			g, size = nil, 0
		}
		g, size = append(g, p), size+p.raw
	}
	if len(g) > 1 {
		out = append(out, g)
	}
	return out
}

// mergePacks returns the record of one pack holding the blobs of group,
// whose ids ascend from pack to pack. Every blob must decompress and be
// JSON with a content hash, as in repack: merging must not seal damaged
// bytes under a fresh checksum.
func mergePacks(group []smallPack) ([]byte, error) {
	var ids []uint64
	var lens []int
	var raw []byte
	for _, sp := range group {
		p, err := decodePack(sp.rec)
		if err != nil {
			return nil, err
		}
		r, err := p.unpack()
		if err != nil {
			return nil, err
		}
		for i := range p.ids {
			if _, err := ContentHash(r[p.offs[i]:p.offs[i+1]]); err != nil {
				return nil, fmt.Errorf("%w: blob %d of the pack is not JSON: %v", ErrCorrupt, p.ids[i], err)
			}
		}
		if len(ids) > 0 && p.ids[0] <= ids[len(ids)-1] {
			return nil, fmt.Errorf("%w: packs out of order", ErrCorrupt)
		}
		ids, lens, raw = append(ids, p.ids...), append(lens, p.lens...), append(raw, r...)
	}
	frame, err := compressPack(nil, raw)
	if err != nil {
		return nil, err
	}
	return encodePack(ids, lens, frame), nil
}
