package snapshot

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// packSweepBatch is how many packs one prune transaction scans.
const packSweepBatch = 256

// rewrite is a pack prune deletes or rewrites.
type rewrite struct {
	key  []byte
	rec  []byte // the old record, copied out; nil to delete the pack
	keep []bool // which of its blobs to keep
}

// sweepPacks drops from the packs the blobs that live does not hold, and
// the blobs a loose record shadows (stored afresh after damage): a pack
// left with none is deleted, one left with fewer than half of its blobs is
// rewritten with only those, under the same ids (filed under the first of
// them). A pack keeps its dead blobs until then: a rewrite costs a
// decompression and a compression, so it waits until it halves the pack.
// A pack whose frame does not decompress is left for Verify to name. It
// returns the blobs removed and the bytes freed. The caller holds db.gc
// exclusively: no pack changes meanwhile.
func (db *DB) sweepPacks(live *idSet) (removed int, freed int64, err error) {
	var from []byte
	for {
		var todo []rewrite
		var next []byte
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			packs, loose := tx.Bucket(bucketPacks), tx.Bucket(bucketBlobs)
			c := packs.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for n := 0; k != nil; k, v = c.Next() {
				if n == packSweepBatch {
					next = bytes.Clone(k)
					return nil
				}
				n++
				p, err := decodePack(v)
				if err != nil {
					continue // Verify names it
				}
				keep := make([]bool, len(p.ids))
				kept := 0
				for i, id := range p.ids {
					if live.has(id) && loose.Get(idKey(id)) == nil {
						keep[i] = true
						kept++
					}
				}
				switch {
				case kept == 0:
					todo = append(todo, rewrite{key: bytes.Clone(k), keep: keep})
				case 2*kept < len(p.ids):
					todo = append(todo, rewrite{key: bytes.Clone(k), rec: bytes.Clone(v), keep: keep})
				}
			}
			return nil
		})
		if err != nil {
			return removed, freed, err
		}
		if len(todo) > 0 {
			n, f, err := db.rewritePacks(todo)
			removed, freed = removed+n, freed+f
			if err != nil {
				return removed, freed, err
			}
		}
		if next == nil {
			return removed, freed, nil
		}
		from = next
	}
}

// rewritePacks deletes or rewrites the packs of one sweep batch in one
// write transaction; the new records are made before it.
func (db *DB) rewritePacks(todo []rewrite) (removed int, freed int64, err error) {
	type put struct {
		key, rec []byte
	}
	var puts []put
	var dropped []int
	var size int64
	for i, t := range todo {
		if t.rec == nil {
			continue
		}
		rec, err := repack(t.rec, t.keep)
		if err != nil {
			dropped = append(dropped, i) // left as it is
			continue
		}
		puts = append(puts, put{key: rec.key, rec: rec.rec})
		size += int64(len(rec.key) + len(rec.rec))
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		packs := tx.Bucket(bucketPacks)
		packs.FillPercent = appendFill
		skip := 0
		for i, t := range todo {
			if skip < len(dropped) && dropped[skip] == i {
				skip++
				continue
			}
			old := packs.Get(t.key)
			freed += int64(len(t.key) + len(old))
			for _, k := range t.keep {
				if !k {
					removed++
				}
			}
			if err := packs.Delete(t.key); err != nil {
				return err
			}
		}
		for _, p := range puts {
			if err := packs.Put(p.key, p.rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rewrite packs: %w", err)
	}
	return removed, freed - size, nil
}

// repack makes the record of a pack with only the blobs keep marks, and
// the key to file it under. A pack that fails its checksum, or a kept
// blob whose bytes do not hash to its address, is an error: the pack is
// then left as it is, for Verify to name and a backup to heal, because a
// rewrite would seal damaged bytes under a fresh, valid checksum that
// the next backup would trust.
func repack(rec []byte, keep []bool) (struct{ key, rec []byte }, error) {
	var out struct{ key, rec []byte }
	if !packSumOK(rec) {
		return out, fmt.Errorf("%w: pack fails its checksum", ErrCorrupt)
	}
	p, err := decodePack(rec)
	if err != nil {
		return out, err
	}
	raw, err := p.unpack()
	if err != nil {
		return out, err
	}
	for i := range p.ids {
		if !keep[i] {
			continue
		}
		// A pack of format 5 lists no hashes: its checksum, checked
		// above, is what shows its bytes are those written; the content
		// must still be JSON that has a hash.
		h, err := ContentHash(raw[p.offs[i]:p.offs[i+1]])
		if listed, ok := p.hash(i); err != nil || (ok && h != listed) {
			return out, fmt.Errorf("%w: blob %d of the pack does not hash to its address", ErrCorrupt, p.ids[i])
		}
	}
	var ids []uint64
	var lens []int
	var kept []byte
	for i, id := range p.ids {
		if keep[i] {
			ids, lens = append(ids, id), append(lens, p.lens[i])
			kept = append(kept, raw[p.offs[i]:p.offs[i+1]]...)
		}
	}
	frame, err := compressPack(nil, kept)
	if err != nil {
		return out, err
	}
	out.key, out.rec = idKey(ids[0]), encodePack(ids, lens, frame)
	return out, nil
}
