package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// fileSpan is about how many blob index entries (filed or not) the key
// range of one filing transaction covers: the index pages that transaction
// rewrites, about 2,000 of them (8 MiB), whatever the index's size.
const fileSpan = 80_000

// fileMaxEntries caps the entries one filing transaction writes. While the
// index is small, one span holds every waiting entry (65,536 by default),
// and bbolt grows one in-memory node per leaf it writes to without bound
// until the commit splits it: the first filing of a 100,000-item backup
// put 65,536 entries into one node, 8% of the backup's CPU (the growing
// node slices, copied and scanned by the collector). Smaller transactions
// rewrite the same pages (each spans its own slice of the hash range).
const fileMaxEntries = 8192

// unfiled holds the blob index entries of blobs already stored but not yet
// filed in the blob-index bucket: the blobs above the watermark that the
// meta key blobs-filed records (every blob with a greater id waits; an id at
// or below it is filed).
//
// The blob index is keyed by content hash, so new entries land at random
// places in it, and bbolt rewrites every page a transaction touches. Filing
// the entries of each 5,000-object batch with the batch touched most of the
// index every batch: a 100,000-item first backup wrote about 2,200 pages a
// batch by its end for 280 pages of new blobs, and a 1,000,000-item one
// spent more time rewriting the index than fetching. Entries therefore wait
// until enough do (the limit) or a prune starts; then they are filed
// sorted, in transactions that each cover one slice of the hash range
// (fileSpan), so each index page is rewritten about once per filing and one
// transaction's memory does not grow with the index. A run's commit does
// not wait for them: its blobs are found by id, and the next writer, or a
// later run of the daemon, files them while it waits on the API.
//
// Nothing is lost with the process: the blob records hold their hashes, so
// opening the database reads the waiting entries back from the blobs above
// the watermark (at most about limit of them). A blob is stored in the same
// transaction as the pending entries that reference it; a run that dies
// leaves blobs only its pending entries reference, which recovery deletes
// before its prune files and sweeps.
//
// Locking: write serializes the transactions that store blobs or file
// entries (bbolt serializes write transactions anyway) and is held until
// the waiting set matches what a transaction committed, so a writer that
// checks again inside its transaction sees every blob stored before it. mu
// guards the set for lookups outside write transactions.
type unfiled struct {
	limit int

	write sync.Mutex
	// stores counts the transactions that stored blobs; it changes only
	// under write. A writer that saw the same count before its lookups
	// and in its write transaction knows no blob came meanwhile.
	stores atomic.Uint64

	mu      sync.RWMutex
	entries waitTable
	// released is set when the database closes and the table's buffers
	// are given back (release): a batch that committed just before the
	// close then adds nothing, and makes no table again.
	released bool
	// prefixed are the waiting entries read back on open from the
	// prefixes of bucketWaitPrefixes (blobs of format-5 packs), sorted:
	// their full hashes are not known. Lookups take them as candidates
	// to check, as they take the index's.
	prefixed []indexEntry

	load    sync.Once
	loadErr error
}

// bucketWaitPrefixes holds the index prefixes of the blobs whose index
// entries wait (format 5): a record per run of consecutive ids a batch
// stored, keyed by the first id, of a CRC-32C and each blob's 6-byte
// hash prefix, written in the batch's transaction and deleted by the
// filing that files them. A pack of format 5 lists no hashes: on open,
// the waiting entries of its blobs are read back from these prefixes
// (unfiled.prefixed), not from the blobs' content, which would take a
// decompression and a hash of up to 65,536 blobs on every open; and a
// blob whose pack is damaged still has its entry, so that it is filed and
// the next backup that brings its content heals it. Only the blobs of a
// record that fails its checksum are hashed from their content.
var bucketWaitPrefixes = []byte("wait-prefixes")

// encodeWaitPrefixes makes a record of bucketWaitPrefixes.
func encodeWaitPrefixes(ps []uint64) []byte {
	rec := make([]byte, 4, 4+len(ps)*prefixLen)
	for _, p := range ps {
		rec = appendPrefix(rec, p)
	}
	binary.BigEndian.PutUint32(rec, crc32.Checksum(rec[4:], castagnoli))
	return rec
}

// putWaitPrefixes files the prefixes of the blobs stored (in id order) in tx.
func putWaitPrefixes(tx *bbolt.Tx, stored []filedBlob) error {
	if len(stored) == 0 {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketWaitPrefixes)
	if err != nil {
		return err
	}
	b.FillPercent = appendFill
	start := 0
	for i := 1; i <= len(stored); i++ {
		if i < len(stored) && stored[i].id == stored[i-1].id+1 {
			continue
		}
		ps := make([]uint64, i-start)
		for j := range ps {
			ps[j] = prefixOf(stored[start+j].hash)
		}
		if err := b.Put(idKey(stored[start].id), encodeWaitPrefixes(ps)); err != nil {
			return err
		}
		start = i
	}
	return nil
}

// waitPrefixes reads the sound records of bucketWaitPrefixes for ids above w.
func waitPrefixes(tx *bbolt.Tx, w uint64) map[uint64]uint64 {
	b := tx.Bucket(bucketWaitPrefixes)
	if b == nil {
		return nil
	}
	out := map[uint64]uint64{}
	_ = b.ForEach(func(k, v []byte) error {
		first, ok := idFromKey(k)
		if !ok || len(v) < 4 || (len(v)-4)%prefixLen != 0 || crc32.Checksum(v[4:], castagnoli) != binary.BigEndian.Uint32(v) {
			return nil // its blobs' entries come from their content alone
		}
		for i := 0; 4+i*prefixLen < len(v); i++ {
			if id := first + uint64(i); id > w {
				out[id] = getPrefix(v[4+i*prefixLen:])
			}
		}
		return nil
	})
	return out
}

// clearWaitPrefixes deletes every record of bucketWaitPrefixes: the
// filing that raises the watermark to the last id given files them all.
func clearWaitPrefixes(tx *bbolt.Tx) error {
	b := tx.Bucket(bucketWaitPrefixes)
	if b == nil {
		return nil
	}
	var keys [][]byte
	_ = b.ForEach(func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// partialKey is the hash under which waiting() hands a prefixed entry
// to the filing, which files it under its prefix: the prefix, then zeros.
func partialKey(p uint64) Hash {
	var h Hash
	appendPrefix(h[:0], p)
	return h
}

// prefixedIDs appends to ids the ids of the prefixed entries of h's
// prefix (usually none), in order. The caller checks them, as it checks
// the index's candidates.
func (u *unfiled) prefixedIDs(h Hash, ids []uint64) []uint64 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	p := prefixOf(h)
	i, _ := slices.BinarySearchFunc(u.prefixed, indexEntry{p, 0}, cmpEntry)
	for ; i < len(u.prefixed) && u.prefixed[i].prefix == p; i++ {
		ids = append(ids, u.prefixed[i].id)
	}
	return ids
}

// prefixedHas reports whether a prefixed entry names id (under any prefix).
func (u *unfiled) prefixedHas(id uint64) bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, e := range u.prefixed {
		if e.id == id {
			return true
		}
	}
	return false
}

// keyBlobsFiled is the meta key of the watermark: the greatest blob id at
// or below which every blob's index entry is filed. A database without it
// (format 1) has every entry filed.
var keyBlobsFiled = []byte("blobs-filed")

// unfiledReady reads the waiting entries back from the blobs above the watermark,
// once per open database; every use of the waiting set goes through it.
func (db *DB) unfiledReady() error {
	u := db.unfiled
	u.load.Do(func() {
		u.loadErr = db.bolt.View(func(tx *bbolt.Tx) error {
			w, ok, err := filedThrough(tx)
			if err != nil || !ok {
				return err
			}
			c := tx.Bucket(bucketBlobs).Cursor()
			for k, v := c.Seek(idKey(w + 1)); k != nil; k, v = c.Next() {
				id, ok := idFromKey(k)
				if !ok {
					return fmt.Errorf("%w: blob key %x", ErrCorrupt, k)
				}
				h, _, err := decodeBlob(v)
				if err != nil {
					continue // Verify names it; nothing can dedup to it
				}
				u.add(h, id, false)
			}
			packs := tx.Bucket(bucketPacks)
			if packs == nil {
				return nil
			}
			// The pack filed at or below w+1 may hold ids above w (an
			// upgrade packs loose blobs whatever their ids), and every
			// pack after it holds only such ids.
			c = packs.Cursor()
			k, v := c.Seek(idKey(w + 1))
			if k == nil || !bytes.Equal(k, idKey(w+1)) {
				if pk, pv := c.Prev(); pk != nil {
					k, v = pk, pv
				} else {
					k, v = c.First()
				}
			}
			recorded := waitPrefixes(tx, w)
			for ; k != nil; k, v = c.Next() {
				p, err := decodePack(v)
				if err != nil {
					continue // Verify names it; nothing can dedup to it
				}
				var raw []byte
				unpacked := false
				for i, id := range p.ids {
					if id <= w {
						continue
					}
					if h, ok := p.hash(i); ok {
						u.add(h, id, false)
						continue
					}
					// Format 5: the prefix recorded; without a sound
					// record, the content's hash, from a pack whose
					// checksum holds.
					if rp, ok := recorded[id]; ok {
						u.prefixed = append(u.prefixed, indexEntry{rp, id})
						continue
					}
					if !unpacked {
						unpacked = true
						if packSumOK(v) {
							raw, _ = p.unpack()
						}
					}
					if raw == nil {
						continue
					}
					if h, err := ContentHash(raw[p.offs[i]:p.offs[i+1]]); err == nil {
						u.add(h, id, false)
					}
				}
			}
			slices.SortFunc(u.prefixed, cmpEntry)
			return nil
		})
		if u.loadErr != nil {
			u.loadErr = fmt.Errorf("read waiting blob index entries: %w", u.loadErr)
		}
	})
	return u.loadErr
}

// filedThrough returns the watermark; ok is false for a database that has
// none (every entry filed).
func filedThrough(tx *bbolt.Tx) (id uint64, ok bool, err error) {
	v := tx.Bucket(bucketMeta).Get(keyBlobsFiled)
	if v == nil {
		return 0, false, nil
	}
	id, err = strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w: %s %q", ErrCorrupt, keyBlobsFiled, v)
	}
	return id, true, nil
}

func newUnfiled(limit int) *unfiled {
	return &unfiled{limit: limit}
}

// filedBlob is one blob index entry.
type filedBlob struct {
	hash Hash
	id   uint64
}

// lookup returns the id of the blob of hash h: waiting here or filed in
// the index, 0 when none. With one candidate of h's prefix (the index's
// and the waiting prefixes' together) it is returned unchecked (callers
// compare the blob's content); with more, the one that holds h.
func (u *unfiled) lookup(tx *bbolt.Tx, h Hash) uint64 {
	if id := u.waitingID(h); id != 0 {
		return id
	}
	var buf [4]uint64
	ids := u.prefixedIDs(h, blobCandidates(tx, h, buf[:0]))
	if len(ids) <= 1 {
		return firstID(ids)
	}
	return pickHolder(newLocator(tx), h, ids)
}

// add files entry h -> id in the set, replacing one for h when replace is
// set. The caller holds mu (or has the set to itself).
func (u *unfiled) add(h Hash, id uint64, replace bool) {
	// Room for the filing's limit at once, and a quarter more: entries
	// are filed after the batch that reached the limit, so the table
	// holds up to a batch more (at most 81,920 entries at the default
	// limit: 1 MiB of slots, 3.2 MiB of list; 327,680 at restore-db's,
	// 4 and 12.5 MiB), so that a first backup's table is not made again
	// as it grows, nor just before it is filed.
	if u.released {
		return // the database closed: its next open reads them back
	}
	u.entries.put(h, id, replace, min(u.limit, 1<<18)*5/4)
}

// find is lookup through f, a finder of the blob index in the same
// transaction as l.
func (u *unfiled) find(f *groupFinder, l *locator, h Hash) uint64 {
	if id := u.waitingID(h); id != 0 {
		return id
	}
	var buf [4]uint64
	ids := u.prefixedIDs(h, f.candidates(h, buf[:0]))
	if len(ids) <= 1 {
		return firstID(ids)
	}
	return pickHolder(l, h, ids)
}

// firstID returns ids[0], 0 when ids is empty.
func firstID(ids []uint64) uint64 {
	if len(ids) == 0 {
		return 0
	}
	return ids[0]
}

// pickHolder returns the id of ids (several candidates of h's prefix: the
// blob index's entries, then the waiting prefixes') whose blob holds h,
// read through l, else the first. A waiting entry known by its prefix
// alone is so never hidden by a filed entry of the same prefix.
func pickHolder(l *locator, h Hash, ids []uint64) uint64 {
	for _, id := range ids {
		if at, err := l.locate(id); err == nil && l.holds(at, h, nil) {
			return id
		}
	}
	return ids[0]
}

// waitingID returns the id waiting for h, 0 when none.
func (u *unfiled) waitingID(h Hash) uint64 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.entries.get(h)
}

// wait adds entries of blobs a committed transaction stored. The caller
// holds write.
func (u *unfiled) wait(stored []filedBlob) {
	if len(stored) == 0 {
		return
	}
	u.mu.Lock()
	for _, b := range stored {
		u.add(b.hash, b.id, true)
	}
	u.mu.Unlock()
	u.stores.Add(1)
}

// waiting returns the waiting entries sorted by hash (bytewise, which is
// also the order of their prefixes), in a big buffer (bigbuf.go) that the
// caller gives back with bigSliceFree when done.
func (u *unfiled) waiting() []filedBlob {
	u.mu.RLock()
	list := u.entries.list
	if len(u.prefixed) > 0 {
		// Entries known by their prefix alone (read back on open) sort
		// as a hash with that prefix and zeros after it: bytewise, as
		// by prefix first.
		list = slices.Clone(list)
		for _, e := range u.prefixed {
			list = append(list, filedBlob{hash: partialKey(e.prefix), id: e.id})
		}
	}
	// Sorted as plain integers, each the hash's first bits over the
	// entry's position, then the rare runs that share those bits by
	// their whole hash: a comparison function over 65,536 entries of 40
	// bytes was 1.5% of a first backup's CPU.
	shift := bits.Len(uint(len(list)))
	keys := bigSlice[uint64](len(list))
	defer bigSliceFree(keys)
	for i := range list {
		keys[i] = binary.BigEndian.Uint64(list[i].hash[:8])>>shift<<shift | uint64(i)
	}
	slices.Sort(keys)
	all := bigSlice[filedBlob](len(list))
	for j, k := range keys {
		all[j] = list[k&(1<<shift-1)]
	}
	u.mu.RUnlock()
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && keys[end]>>shift == keys[start]>>shift {
			end++
		}
		if end-start > 1 {
			slices.SortFunc(all[start:end], func(a, b filedBlob) int { return bytes.Compare(a.hash[:], b.hash[:]) })
		}
		start = end
	}
	return all
}

// due reports whether enough entries wait to be filed.
func (u *unfiled) due() bool {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.entries.len()+len(u.prefixed) >= u.limit
}

// filed drops entries a committed transaction filed.
func (u *unfiled) filed(done []filedBlob) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.entries.drop(done)
}

// clear drops every waiting entry, once all are filed or forgotten, at
// once (deleting each entry from a map was 1.6% of a first backup's CPU);
// the table keeps its room for the next ones.
func (u *unfiled) clear() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.entries.reset()
	u.prefixed = nil
}

// release gives the table's buffers back (bigbuf.go) when the database
// closes.
func (u *unfiled) release() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.entries.release()
	u.prefixed = nil
	u.released = true
}

// fileBlobs files every waiting blob index entry for which keep reports
// true (nil keeps all) and forgets the others: Prune passes the blobs it
// keeps, so an aborted run's blobs are swept without being filed first.
func (db *DB) fileBlobs(keep func(id uint64) bool) error {
	if err := db.unfiledReady(); err != nil {
		return err
	}
	db.unfiled.write.Lock()
	defer db.unfiled.write.Unlock()
	return db.fileBlobsLocked(keep)
}

// FileBlobIndex files every waiting blob index entry now, as a writer
// does once Options.UnfiledBlobs of them wait. offsite restore-db lets
// more wait while it imports a history into a new database (a filing
// rewrites every index group the entries land in, and a million new
// blobs' entries land in all of them, so each filing rewrites the whole
// index), then files the rest before it closes the database: it leaves
// no entry waiting for the next open to read back.
func (db *DB) FileBlobIndex() error {
	if db.opts.ReadOnly {
		return ErrReadOnly
	}
	db.gc.RLock() // as a writer's batch: no prune meanwhile
	defer db.gc.RUnlock()
	return db.fileBlobs(nil)
}

// fileBlobsLocked files the waiting blob index entries keep accepts (nil:
// all), sorted, in as many transactions as the index needs for each to
// span about fileSpan entries; the last one raises the watermark to the
// last blob id given, and the entries not kept are forgotten. The caller
// holds db.unfiled.write, and no blob is stored meanwhile.
func (db *DB) fileBlobsLocked(keep func(id uint64) bool) error {
	waiting := db.unfiled.waiting()
	defer bigSliceFree(waiting)
	if len(waiting) == 0 {
		return nil
	}
	all := waiting
	if keep != nil {
		all = nil
		for _, b := range waiting {
			if keep(b.id) {
				all = append(all, b)
			}
		}
	}
	var blobs uint64
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		blobs = tx.Bucket(bucketBlobs).Sequence() // every id given; a bound on the index's size
		return nil
	}); err != nil {
		return err
	}
	parts := max(1, int((blobs+fileSpan-1)/fileSpan))
	per := min(max(1, (len(all)+parts-1)/parts), fileMaxEntries)
	for i := 0; i == 0 || i < len(all); i += per {
		part := all[i:min(i+per, len(all))]
		last := i+per >= len(all)
		err := db.update(func(tx *bbolt.Tx) error {
			if err := fileBlobEntries(tx, part); err != nil {
				return err
			}
			if last {
				if err := clearWaitPrefixes(tx); err != nil {
					return err
				}
				return tx.Bucket(bucketMeta).Put(keyBlobsFiled, []byte(strconv.FormatUint(blobs, 10)))
			}
			return nil
		})
		if err != nil {
			db.unfiled.filed(all[:i]) // the transactions before
			return fmt.Errorf("file blob index entries: %w", err)
		}
	}
	// Filed entries waited until now, found either way meanwhile; those
	// not kept go too. No blob was stored meanwhile (the caller holds
	// write), so nothing else waits.
	db.unfiled.clear()
	return nil
}
