package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"go.etcd.io/bbolt"
)

// flushLocked writes the buffered objects, the run's last batch. The caller
// holds w.mu and db.gc (shared).
func (w *Writer) flushLocked() error {
	added, healed, err := w.writeBatch(w.batch, true)
	w.added += added
	w.healed = append(w.healed, healed...)
	if err != nil {
		w.err = fmt.Errorf("write batch of run %s: %w", w.id, err)
		return w.err
	}
	clear(w.batch)
	w.batch = w.batch[:0]
	w.batchBytes = 0
	return nil
}

// writeBatch writes batch and returns the bytes of new records it stored
// and the objects whose damaged blob it stored afresh.
// It finds which blobs are new in a read transaction, compresses those
// outside any transaction, and writes the blobs and the pending entries in
// one write transaction; the new blobs' index entries wait (see unfiled)
// until enough do. last marks the run's last batch, compressed on every
// core. It changes none of the Writer's fields but the packs it checked
// and the packs it stored (both synchronized) and its scratch map ids (batches are written one after
// the other, never two at once): it may run on a goroutine
// of its own (flushInBackground). The caller holds db.gc (shared), so no
// prune can remove a blob between the two transactions.
func (w *Writer) writeBatch(batch []pending, last bool) (int64, []Healed, error) {
	if len(batch) == 0 {
		return 0, nil, nil
	}
	if err := w.db.unfiledReady(); err != nil {
		return 0, nil, err
	}
	u := w.db.unfiled
	stores := u.stores.Load()
	// blob hash -> id; 0 while unknown. Batches are written one after the
	// other, so they share one map (made afresh each batch, it and its
	// first touch were 3% of a first backup's page faults).
	if w.ids == nil {
		w.ids = make(map[Hash]uint64, len(batch))
	}
	ids := w.ids
	defer clear(ids)
	var fresh []int     // index in batch of the first object of each new blob
	var heal []int      // the same, for stored blobs recorded damaged
	var reused []int    // the same, for the other stored blobs
	var copies [][]byte // the records of reused, copied out
	var packed []int    // the same, for stored blobs in a pack that fails its check
	err := w.db.bolt.View(func(tx *bbolt.Tx) error {
		loc := newLocator(tx).withCache(w.db.packs)
		known := lookupSorted(tx, u, loc, batch)
		// A blob recorded damaged is stored again over its record (same id,
		// so every snapshot that refers to it heals). The set is empty but
		// after a repair, and an empty set costs one cursor step a batch.
		dmg := tx.Bucket(bucketDamaged)
		if dmg != nil {
			if k, _ := dmg.Cursor().First(); k == nil {
				dmg = nil
			}
		}
		for i, p := range batch {
			if _, seen := ids[p.hash]; seen {
				continue
			}
			id := known[i]
			var at blobAt
			var atErr error
			confirmed := false
			if id != 0 {
				at, atErr = loc.locate(id)
				// The index holds hash prefixes (blobindex.go): an id is
				// this content's only when its record says so, the hash a
				// loose record or a pack of format 3 or 4 lists, the
				// content of a pack of format 5 (the same bytes as those
				// about to be stored, or bytes whose canonical form hashes
				// to this hash), or the hash a repair recorded for a
				// damaged blob. Otherwise it may be another blob of the
				// same prefix, or one whose content no longer reads:
				// healing the id with this content could overwrite that
				// blob, storing it anew cannot. A sound pack that holds
				// content of another prefix under the id is a wrong index.
				// A blob of a format-5 pack that a check recorded damaged
				// (its hash unknown) is not evidence of a wrong index.
				recorded := atErr == nil && !at.hashed && dmg != nil && dmg.Get(idKey(id)) != nil
				confirmed = atErr == nil && (loc.holds(at, p.hash, p.raw) || unreadableMatch(tx, u, loc, at, id, p,
					!recorded && at.loose == nil && w.packs.sound(packKey{at.key, at.pack.sum}, at.rec)))
				if !confirmed && !damagedAs(dmg, id, p.hash) {
					if atErr == nil && at.loose == nil && !recorded && w.packs.sound(packKey{at.key, at.pack.sum}, at.rec) {
						if stored, err := loc.hashOf(at); err == nil && prefixOf(stored) != prefixOf(p.hash) {
							return fmt.Errorf("%w: the blob index files %s under blob %d of %s: run %s",
								ErrCorrupt, p.hash.Short(), id, stored.Short(), "enspace-sync verify --repair")
						}
					}
					id = 0
				}
			}
			ids[p.hash] = id
			switch {
			case p.raw == nil && id == 0:
				return fmt.Errorf("%w: an object of %s refers to blob %s, which the database does not hold",
					ErrInvalid, p.coll, p.hash.Short())
			case p.raw == nil:
				// PutHashed of a stored blob: no bytes to compare with it.
			case id == 0:
				fresh = append(fresh, i)
			case dmg != nil && dmg.Get(idKey(id)) != nil:
				if h, ok := hashFrom(dmg.Get(idKey(id))); ok && h != p.hash && !confirmed {
					ids[p.hash] = 0 // another blob of the same prefix, damaged
					fresh = append(fresh, i)
					continue
				}
				heal = append(heal, i)
			default:
				switch {
				case atErr != nil || at.loose != nil:
					reused = append(reused, i)
					copies = append(copies, bytes.Clone(tx.Bucket(bucketBlobs).Get(idKey(id))))
				case !w.packs.sound(packKey{at.key, at.pack.sum}, at.rec):
					packed = append(packed, i)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	workers := 1
	if last {
		workers = runtime.GOMAXPROCS(0)
	}
	// Deduplication trusts no stored copy it has not checked: a loose
	// copy is compared with the bytes just fetched, a pack's checksum is
	// checked once per run. One that fails is stored afresh with the
	// damaged ones.
	rotten, err := damagedCopies(batch, reused, copies, workers)
	if err != nil {
		return 0, nil, err
	}
	forced := len(heal)
	heal = append(append(heal, rotten...), packed...)
	records, err := packAll(batch, heal, workers)
	if err != nil {
		return 0, nil, err
	}
	drafts := draftPacks(batch, fresh)
	free := w.recs
	w.recs = nil
	if err := compressDrafts(batch, drafts, workers, free); err != nil {
		return 0, nil, err
	}
	u.write.Lock()
	defer u.write.Unlock()
	var added int64
	stored := make([]filedBlob, 0, len(fresh))
	var healed []Healed
	var packKeys []uint64
	err = w.db.update(func(tx *bbolt.Tx) error {
		stored, healed, added, packKeys = stored[:0], healed[:0], 0, packKeys[:0]
		recheck := u.stores.Load() != stores // another run stored blobs meanwhile
		for _, d := range drafts {
			if recheck {
				var err error
				if d, err = dropStored(batch, d, ids, func(h Hash) uint64 { return confirmedID(tx, u, h) }); err != nil {
					return err
				}
				if d == nil {
					continue
				}
			}
			pids, n, err := storePack(tx, d)
			if err != nil {
				return fmt.Errorf("store pack: %w", err)
			}
			packKeys = append(packKeys, pids[0])
			added += n
			for j, i := range d.members {
				h := batch[i].hash
				// The index entry counts now, whenever it is filed.
				ids[h], added = pids[j], added+entrySize
				stored = append(stored, filedBlob{hash: h, id: pids[j]})
			}
		}
		if err := putWaitPrefixes(tx, stored); err != nil {
			return fmt.Errorf("store pack: %w", err)
		}
		if len(heal) > 0 {
			var n int64
			var err error
			healed, n, err = healBlobs(tx, batch, heal, forced, ids, records)
			if err != nil {
				return err
			}
			added += n
		}
		return w.writePending(tx, batch, ids)
	})
	w.recs = keepRecs(drafts, free[:0])
	if err != nil {
		return 0, nil, err
	}
	w.stored.add(packKeys)
	u.wait(stored)
	if u.due() {
		if err := w.db.fileBlobsLocked(nil); err != nil {
			return added, healed, err
		}
	}
	return added, healed, nil
}

// lookupSorted returns the id the blob index (or the waiting entries)
// gives the hash of each object of batch (0 for new content; later
// objects of the same content may be left 0), looked up in prefix order
// through one finder, so that each index group is read once a batch.
func lookupSorted(tx *bbolt.Tx, u *unfiled, loc *locator, batch []pending) []uint64 {
	known := make([]uint64, len(batch))
	f := blobIndex.finder(tx)
	if len(batch) > 1<<16 || f.small() {
		for i := range batch {
			known[i] = u.find(f, loc, batch[i].hash)
		}
		return known
	}
	// Each key is the prefix over the object's position: sorting plain
	// integers, where a comparison function over the batch's hashes cost
	// as much as the lookups it ordered.
	keys := make([]uint64, len(batch))
	for i := range batch {
		keys[i] = prefixOf(batch[i].hash)<<16 | uint64(i)
	}
	slices.Sort(keys)
	for j, k := range keys {
		i := int(k & 0xffff)
		if j > 0 && k>>16 == keys[j-1]>>16 && batch[keys[j-1]&0xffff].hash == batch[i].hash {
			continue // the same content as the object before
		}
		known[i] = u.find(f, loc, batch[i].hash)
	}
	return known
}

// packAll makes the blob record (packBlob) of batch[i] for each i in idx on
// up to workers goroutines. While a run fetches, one goroutine keeps up
// with the API, and leaving the other cores to the fetching goroutines
// keeps the answers flowing: with one compressing goroutine per core, a
// 100,000-item backup took 4% longer. The last batch, written when
// fetching is over, uses every core.
func packAll(batch []pending, idx []int, workers int) ([][]byte, error) {
	out := make([][]byte, len(idx))
	workers = max(1, min(workers, (len(idx)+31)/32))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for j := g; j < len(idx); j += workers {
				p := &batch[idx[j]]
				if out[j], errs[g] = packBlob(p.hash, p.raw); errs[g] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// healBlobs overwrites the records of the damaged blobs that batch[i] for
// i in heal brings again (records holds their fresh records, in the same
// order) and takes them out of the damaged set: heal[:recorded] are those
// recorded damaged, the rest those whose stored copy differed from the
// bytes fetched (damagedCopies). It returns the objects that brought them
// and the bytes written.
func healBlobs(tx *bbolt.Tx, batch []pending, heal []int, recorded int, ids map[Hash]uint64, records [][]byte) ([]Healed, int64, error) {
	blobs, dmg := tx.Bucket(bucketBlobs), tx.Bucket(bucketDamaged)
	var n int64
	var healed []Healed
	for j, i := range heal {
		k := idKey(ids[batch[i].hash])
		if j < recorded && dmg.Get(k) == nil {
			continue // healed meanwhile by another run
		}
		if err := blobs.Put(k, records[j]); err != nil {
			return nil, n, fmt.Errorf("store blob afresh: %w", err)
		}
		if err := dmg.Delete(k); err != nil {
			return nil, n, fmt.Errorf("store blob afresh: %w", err)
		}
		n += int64(len(k) + len(records[j]))
		key, err := keyText(batch[i].key)
		if err != nil {
			key = fmt.Sprintf("%q", batch[i].key)
		}
		healed = append(healed, Healed{Collection: string(batch[i].coll), Key: key, Hash: batch[i].hash})
	}
	return healed, n, nil
}

// damagedCopies compares the stored copy of each blob batch[i] reuses, for
// i in idx (recs holds their records, in the same order), with the bytes
// just fetched, on up to workers goroutines, and returns the i whose copy
// is damaged: a record that does not decode, is missing, holds another
// hash (unless that record is sound: then the index is damaged, and the
// error wraps ErrCorrupt), does not decompress, or decompresses to bytes
// whose canonical JSON hashes elsewhere. The bytes fetched usually equal those stored, so the
// cost is a decompression and a comparison; only a copy kept in another
// raw form of the same content is hashed.
func damagedCopies(batch []pending, idx []int, recs [][]byte, workers int) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	bad := make([]bool, len(idx))
	errs := make([]error, len(idx))
	workers = max(1, min(workers, (len(idx)+255)/256))
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			var buf []byte
			for j := g; j < len(idx); j += workers {
				p := &batch[idx[j]]
				h, packed, err := decodeBlob(recs[j])
				if err == nil {
					buf, err = decompressTo(buf[:0], packed)
				}
				switch {
				case err != nil:
					bad[j] = true
				case h != p.hash:
					// A record of another blob, sound in itself, means the
					// index is wrong: overwriting it would damage that blob.
					if got, herr := ContentHash(buf); herr == nil && got == h {
						errs[j] = fmt.Errorf("%w: the blob index files %s under a record of %s: run %s",
							ErrCorrupt, p.hash.Short(), h.Short(), "enspace-sync verify --repair")
					} else {
						bad[j] = true
					}
				case !bytes.Equal(buf, p.raw):
					got, err := ContentHash(buf)
					bad[j] = err != nil || got != p.hash
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []int
	for j, b := range bad {
		if b {
			out = append(out, idx[j])
		}
	}
	return out, nil
}

// storedID returns the id of the blob of hash h, checked against the
// hash its record lists: 0 when it lists another of the same prefix.
func storedID(tx *bbolt.Tx, u *unfiled, h Hash) uint64 {
	id := u.lookup(tx, h)
	if id == 0 {
		return 0
	}
	// A blob of a format-5 pack is not decompressed here: its reader
	// hashes what it reads (DB.Blob).
	if at, err := newLocator(tx).locate(id); err == nil && at.hashed && prefixCollision(at.hash, h) {
		return 0
	}
	return id
}

// confirmedID returns the id of the blob of hash h when its record, read
// and decoded, holds h: 0 otherwise, also when the record does not read.
// Deduplication goes by it, so content is never filed under an id whose
// record cannot show it is that content's.
func confirmedID(tx *bbolt.Tx, u *unfiled, h Hash) uint64 {
	id := u.lookup(tx, h)
	if id == 0 {
		return 0
	}
	l := newLocator(tx)
	if at, err := l.locate(id); err != nil || !l.holds(at, h, nil) {
		return 0
	}
	return id
}

// unreadableMatch reports whether blob id, found at at, is taken for p's
// content although its content cannot show it: a blob of a pack of format
// 5 (which lists no hashes) whose pack fails its checksum or does not
// decompress, or that a check recorded damaged (sound is false then). A
// blob that still reads and whose content hashes to another hash of p's
// prefix, or to a hash filed under id, is intact and never taken. It is
// when the pack's header lists p's
// raw length for it and the blob index files p's hash prefix under id
// alone (or p's full hash waits under id). So a damaged pack of format 5
// heals as one of format 4 does; the price is that content whose hash
// shares the damaged blob's 48-bit prefix and whose raw length is the
// same would be taken for it (about one chance in 2^48 for each new
// content whose prefix meets a damaged blob, against none with the hash
// listed), and would then show in the snapshots that held the damaged blob.
func unreadableMatch(tx *bbolt.Tx, u *unfiled, loc *locator, at blobAt, id uint64, p pending, sound bool) bool {
	if at.hashed || at.loose != nil || p.raw == nil || at.pack.lens[at.idx] != len(p.raw) {
		return false
	}
	if raw, err := loc.raw(at); err == nil {
		if sound {
			return false // sound content that is not p's: another blob
		}
		// The pack fails its checksum but this blob reads: when its content
		// hashes to another blob of p's prefix (a collision), or to a hash
		// filed under id (the blob is intact under its own entry), it is not
		// damaged, and overwriting it would change what old snapshots hold.
		if g, err := ContentHash(raw); err == nil && g != p.hash {
			if prefixOf(g) == prefixOf(p.hash) || filedUnder(tx, u, g, id) {
				return false
			}
		}
	}
	if u.waitingID(p.hash) == id {
		return true
	}
	var buf [2]uint64
	ids := u.prefixedIDs(p.hash, blobCandidates(tx, p.hash, buf[:0]))
	return len(ids) == 1 && ids[0] == id
}

// filedUnder reports whether hash h is filed under blob id: waiting, or
// in the blob index under h's prefix.
func filedUnder(tx *bbolt.Tx, u *unfiled, h Hash, id uint64) bool {
	if u.waitingID(h) == id {
		return true
	}
	var buf [2]uint64
	for _, c := range u.prefixedIDs(h, blobCandidates(tx, h, buf[:0])) {
		if c == id {
			return true
		}
	}
	return false
}

// damagedAs reports whether the damaged bucket dmg (nil when empty)
// records hash h for blob id: a repair found its record damaged and
// noted the hash the record held.
func damagedAs(dmg *bbolt.Bucket, id uint64, h Hash) bool {
	if dmg == nil {
		return false
	}
	got, ok := hashFrom(dmg.Get(idKey(id)))
	return ok && got == h
}

// dropStored returns draft d without the blobs that another run stored
// meanwhile (lookup finds them; their ids go into ids), compressed again,
// or nil when none is left; d itself when none was stored. It runs in the
// write transaction, and only when another run of this process stored
// blobs since the batch looked, which is rare.
func dropStored(batch []pending, d *packDraft, ids map[Hash]uint64, lookup func(Hash) uint64) (*packDraft, error) {
	var keep []int
	for j, i := range d.members {
		if id := lookup(batch[i].hash); id != 0 {
			ids[batch[i].hash] = id
			continue
		}
		keep = append(keep, j)
	}
	if len(keep) == len(d.members) {
		return d, nil
	}
	if len(keep) == 0 {
		return nil, nil
	}
	nd := &packDraft{}
	var raw []byte
	for _, j := range keep {
		i := d.members[j]
		nd.members, nd.lens, nd.hashes = append(nd.members, i), append(nd.lens, d.lens[j]), append(nd.hashes, d.hashes[j])
		raw = append(raw, batch[i].raw...)
	}
	var err error
	nd.frame, err = compressPack(nil, raw)
	return nd, err
}
