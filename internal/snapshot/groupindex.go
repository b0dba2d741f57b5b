package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"

	"go.etcd.io/bbolt"
)

// A group index (format 4) files content hashes as sorted groups of short
// entries: the blob index (blobindex.go) and the chunk index
// (chunkindex.go) are two. An entry is the hash's first prefixLen bytes
// and the record's id, fixed width, sorted by prefix, then id, cut into
// groups of at most groupMax entries; each group is one record of the
// index's bucket, keyed by its first entry's prefix. A lookup seeks the
// group at or below the hash's prefix and binary-searches it, and returns
// every id filed under the prefix (candidates): its caller checks each
// against the full hash (blobs: the pack's header or loose record;
// chunks: the record's bytes), so a prefix shared by two records (2^-48 a
// pair) costs a second check, never a wrong answer. Entries of one prefix
// are never split across groups. About 9 bytes an entry (ids take 3
// bytes up to 2^24, more past it), against 27 to 51 for a bbolt key an
// entry.
//
// Group record:
//
//	groupFormat (1 byte)
//	CRC-32C of everything after it (4 bytes, big-endian)
//	w: the width of the ids (1 byte, 3 to 8)
//	n entries: the 6-byte hash prefix, then the id, big-endian in w bytes
type groupIndex struct {
	bucket []byte // the groups
	// old is the bucket the index had up to format 3 (hash -> idValue),
	// read when a file not yet upgraded is opened read-only; the upgrade
	// to format 4 converts it (convert).
	old []byte
	// scan appends an entry for each record whose hash in accepts, read
	// from the records themselves: how a group that does not decode is
	// rebuilt (entries).
	scan func(tx *bbolt.Tx, in func(Hash) bool, es []indexEntry) []indexEntry
}

const (
	groupFormat byte = 2
	// groupHeader is the bytes before a group's entries.
	groupHeader = 6
	prefixLen   = 6
	// groupMax is the most entries a group takes; a filing that grows a
	// group beyond it splits it into groups of at most groupCut. Large
	// groups keep bbolt's page rounding (half a page a group, in whole
	// 4 KiB overflow pages) small; see the package doc for the figures.
	groupMax = 4096
	groupCut = 3072
	// oldShortKey is the length of the chunk index's short keys in
	// format-4 files written before it was grouped; convert reads them.
	oldShortKey = 8
)

// indexEntry is one index entry: the hash's prefix and the record's id.
type indexEntry struct {
	prefix uint64
	id     uint64
}

// entrySize is what an entry adds to a snapshot's added_bytes.
const entrySize = prefixLen + 3

func prefixOf(h Hash) uint64 { return getPrefix(h[:]) }

// getPrefix reads a prefix: the first prefixLen bytes of b, big-endian.
func getPrefix(b []byte) uint64 {
	_ = b[prefixLen-1]
	return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
}

// appendPrefix appends prefix p as getPrefix reads it.
func appendPrefix(b []byte, p uint64) []byte {
	return append(b, byte(p>>40), byte(p>>32), byte(p>>24), byte(p>>16), byte(p>>8), byte(p))
}

func cmpEntry(a, b indexEntry) int {
	if c := cmpU64(a.prefix, b.prefix); c != 0 {
		return c
	}
	return cmpU64(a.id, b.id)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// groupView reads a group record in place.
type groupView struct {
	w   int
	rec []byte
}

// decodeGroup reads a group's header, not its checksum: a lookup trusts
// no entry without checking the record it names (the pack's hash, the
// chunk's bytes), so a damaged entry costs a second check, never a wrong
// answer; filing and prune, which write entries back, check the sum and
// the order first (sound), and so does Verify.
func decodeGroup(rec []byte) (groupView, error) {
	if len(rec) <= groupHeader || rec[0] != groupFormat || rec[5] < 3 || rec[5] > 8 || (len(rec)-groupHeader)%(prefixLen+int(rec[5])) != 0 {
		return groupView{}, fmt.Errorf("%w: index group does not decode", ErrCorrupt)
	}
	return groupView{w: int(rec[5]), rec: rec}, nil
}

// sound reports whether the group filed under key, with next the key of
// the group after it (nil for the last), holds what was written: its
// checksum matches, its entries are sorted, the first is the key's and
// none reaches next's prefix. One that is not is rebuilt from the records
// (entries), never written back as it is: entries out of order or out of
// range would be filed where no lookup finds them.
func (g groupView) sound(key, next []byte) bool {
	if binary.BigEndian.Uint32(g.rec[1:5]) != crc32.Checksum(g.rec[5:], castagnoli) || len(key) != prefixLen {
		return false
	}
	n := g.len()
	if g.at(0).prefix != getPrefix(key) || (len(next) == prefixLen && g.at(n-1).prefix >= getPrefix(next)) {
		return false
	}
	for i := 1; i < n; i++ {
		if cmpEntry(g.at(i-1), g.at(i)) > 0 {
			return false
		}
	}
	return true
}

func (g groupView) len() int { return (len(g.rec) - groupHeader) / (prefixLen + g.w) }

func (g groupView) at(i int) indexEntry {
	e := g.rec[groupHeader+i*(prefixLen+g.w):]
	var id uint64
	for _, b := range e[prefixLen : prefixLen+g.w] {
		id = id<<8 | uint64(b)
	}
	return indexEntry{prefix: getPrefix(e), id: id}
}

// first returns the index of the first entry whose prefix is at least p.
func (g groupView) first(p uint64) int {
	n := g.len()
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if getPrefix(g.rec[groupHeader+m*(prefixLen+g.w):]) < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (g groupView) entries() []indexEntry {
	out := make([]indexEntry, g.len())
	for i := range out {
		out[i] = g.at(i)
	}
	return out
}

// encodeGroup makes a group record of entries (sorted, at least one).
func encodeGroup(es []indexEntry) []byte {
	var most uint64
	for _, e := range es {
		most = max(most, e.id)
	}
	w := 3
	for w < 8 && most>>(8*w) != 0 {
		w++
	}
	rec := make([]byte, groupHeader, groupHeader+len(es)*(prefixLen+w))
	rec[0], rec[5] = groupFormat, byte(w)
	for _, e := range es {
		rec = appendPrefix(rec, e.prefix)
		for s := w - 1; s >= 0; s-- {
			rec = append(rec, byte(e.id>>(8*s)))
		}
	}
	binary.BigEndian.PutUint32(rec[1:5], crc32.Checksum(rec[5:], castagnoli))
	return rec
}

func prefixKey(p uint64) []byte { return appendPrefix(make([]byte, 0, prefixLen), p) }

// groupAt returns the group that holds prefix p, if any: the one filed
// under the greatest key at or below p. Its key and value alias tx.
func groupAt(c *bbolt.Cursor, p uint64) ([]byte, []byte) {
	key := prefixKey(p)
	k, v := c.Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		k, v = c.Prev()
	}
	return k, v
}

// candidates appends to ids each id the index files under h's prefix
// (usually none or one), in order. A file of an older format opened
// read-only is read through its old bucket. Deduplication looks up every
// object a backup fetches and every chunk it builds: give it a small
// array's slice, and the lookup allocates nothing.
func (x *groupIndex) candidates(tx *bbolt.Tx, h Hash, ids []uint64) []uint64 {
	groups := tx.Bucket(x.bucket)
	if groups == nil {
		if old := tx.Bucket(x.old); old != nil {
			if id := lookupID(old, h); id != 0 {
				ids = append(ids, id)
			}
		}
		return ids
	}
	p := prefixOf(h)
	_, v := groupAt(groups.Cursor(), p)
	if v == nil {
		return ids
	}
	g, err := decodeGroup(v)
	if err != nil {
		return ids // Verify names it; nothing dedups to it
	}
	for i := g.first(p); i < g.len(); i++ {
		e := g.at(i)
		if e.prefix != p {
			break
		}
		ids = append(ids, e.id)
	}
	return ids
}

// groupFinder looks hashes up in one index within one transaction, as
// candidates does, keeping the bucket, a cursor and the last group read
// with the key of the group after it: lookups in prefix order (a batch's
// hashes, sorted) then read each group once and seek no further. A
// lookup per hash through candidates opened the bucket (bbolt reopens
// it, allocating, in each call of a read transaction) and sought from
// the root each time: 4% of a first backup's CPU.
type groupFinder struct {
	x      *groupIndex
	tx     *bbolt.Tx
	groups *bbolt.Bucket
	cur    *bbolt.Cursor
	// The last group read covers prefixes lo up to (not with) hi, up to
	// the end when last; g is valid when ok.
	lo, hi   uint64
	last, ok bool
	g        groupView
}

func (x *groupIndex) finder(tx *bbolt.Tx) *groupFinder {
	f := &groupFinder{x: x, tx: tx, groups: tx.Bucket(x.bucket)}
	if f.groups != nil {
		f.cur = f.groups.Cursor()
	}
	return f
}

// small reports whether the index has at most one group, where the
// order of lookups makes no difference.
func (f *groupFinder) small() bool {
	if f.cur == nil {
		return true
	}
	first, _ := f.cur.First()
	last, _ := f.cur.Last()
	return first == nil || bytes.Equal(first, last)
}

// candidates is groupIndex.candidates, through the finder's cache.
func (f *groupFinder) candidates(h Hash, ids []uint64) []uint64 {
	if f.groups == nil {
		return f.x.candidates(f.tx, h, ids)
	}
	p := prefixOf(h)
	if !f.ok || p < f.lo || (!f.last && p >= f.hi) {
		if !f.seek(p) {
			return ids
		}
	}
	for i := f.g.first(p); i < f.g.len(); i++ {
		e := f.g.at(i)
		if e.prefix != p {
			break
		}
		ids = append(ids, e.id)
	}
	return ids
}

// seek reads the group that holds p; false when none does (p is below
// the first group, or the group does not decode).
func (f *groupFinder) seek(p uint64) bool {
	f.ok = false
	k, v := groupAt(f.cur, p)
	if v == nil || len(k) != prefixLen {
		return false
	}
	g, err := decodeGroup(v)
	if err != nil {
		return false // Verify names it; nothing dedups to it
	}
	f.g, f.lo = g, getPrefix(k)
	nk, _ := f.cur.Next()
	f.last = len(nk) != prefixLen
	if !f.last {
		f.hi = getPrefix(nk)
	}
	f.ok = p >= f.lo && (f.last || p < f.hi)
	return f.ok
}

// has reports whether the index has an entry for h under id.
func (x *groupIndex) has(tx *bbolt.Tx, h Hash, id uint64) bool {
	var buf [2]uint64
	return slices.Contains(x.candidates(tx, h, buf[:0]), id)
}

// file files entries into the groups: each group they land in is read,
// merged and written again, split when it outgrows groupMax.
func (x *groupIndex) file(tx *bbolt.Tx, add []indexEntry) error {
	groups := tx.Bucket(x.bucket)
	groups.FillPercent = 1.0 // large records: a group to a node
	slices.SortFunc(add, cmpEntry)
	c := groups.Cursor()
	for len(add) > 0 {
		k, v := groupAt(c, add[0].prefix)
		var cur []indexEntry
		var oldKey []byte
		if k == nil {
			// Below every group: these entries join the first one.
			k, v = c.First()
		}
		// The entries that belong to this group: below the next group's key.
		var next []byte
		if k != nil {
			oldKey = bytes.Clone(k)
			if nk, _ := c.Next(); nk != nil {
				next = bytes.Clone(nk)
			}
			cur, _ = x.entries(tx, oldKey, v, next)
		}
		n := len(add)
		if len(next) == prefixLen { // a key of another length is damage: no bound
			np := getPrefix(next)
			n, _ = slices.BinarySearchFunc(add, np, func(e indexEntry, p uint64) int { return cmpU64(e.prefix, p) })
		}
		merged := mergeEntries(cur, add[:n])
		add = add[n:]
		if oldKey != nil {
			if err := groups.Delete(oldKey); err != nil {
				return err
			}
		}
		for _, piece := range cutGroups(merged) {
			if err := groups.Put(prefixKey(piece[0].prefix), encodeGroup(piece)); err != nil {
				return err
			}
		}
		c = groups.Cursor() // the writes invalidate the cursor
	}
	return nil
}

// entries returns the entries of the group filed under key, whose record
// is v; next is the key of the group after it (nil for the last). A
// record that does not decode or is not sound is rebuilt (rebuilt true) from the records
// themselves (scan), every one whose hash falls in the group's range:
// paid only on damage, so one damaged group stops no filing and no
// prune, and its records are found again.
func (x *groupIndex) entries(tx *bbolt.Tx, key, v, next []byte) (es []indexEntry, rebuilt bool) {
	if len(key) != prefixLen {
		return nil, true // not a key this index writes: damage, dropped (Verify names it)
	}
	if g, err := decodeGroup(v); err == nil && g.sound(key, next) {
		return g.entries(), false
	}
	var from uint64
	if len(key) == prefixLen {
		from = getPrefix(key)
	}
	in := func(h Hash) bool {
		p := prefixOf(h)
		return p >= from && (len(next) != prefixLen || p < getPrefix(next))
	}
	es = x.scan(tx, in, nil)
	slices.SortFunc(es, cmpEntry)
	return slices.Compact(es), true
}

// mergeEntries merges two sorted entry lists, dropping exact duplicates.
func mergeEntries(a, b []indexEntry) []indexEntry {
	out := make([]indexEntry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && cmpEntry(a[i], b[j]) < 0):
			out = append(out, a[i])
			i++
		case i == len(a) || cmpEntry(a[i], b[j]) > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

// cutGroups cuts sorted entries into groups: one when they fit in
// groupMax, else pieces of about equal size, at most groupCut each, never
// splitting one prefix's entries.
func cutGroups(es []indexEntry) [][]indexEntry {
	if len(es) <= groupMax {
		return [][]indexEntry{es}
	}
	parts := (len(es) + groupCut - 1) / groupCut
	per := (len(es) + parts - 1) / parts
	var out [][]indexEntry
	for len(es) > 0 {
		n := min(per, len(es))
		for n < len(es) && es[n].prefix == es[n-1].prefix {
			n++
		}
		out = append(out, es[:n])
		es = es[n:]
	}
	return out
}

// sweepIndex drops the entries of x whose ids keep rejects, rewriting the
// groups that held them, up to sweepBatch groups a transaction. It
// returns the entries dropped and their bytes.
func (db *DB) sweepIndex(x *groupIndex, keep func(id uint64) bool) (removed int, freed int64, err error) {
	var from []byte
	for {
		var next []byte
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			groups := tx.Bucket(x.bucket)
			groups.FillPercent = 1.0
			type change struct {
				key []byte
				es  []indexEntry
			}
			var changes []change
			c := groups.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for n := 0; k != nil; k, v = c.Next() {
				if n == sweepBatch {
					next = bytes.Clone(k)
					break
				}
				n++
				var nk []byte
				if k2, _ := c.Next(); k2 != nil {
					nk = bytes.Clone(k2)
				}
				c.Seek(k) // back to this group
				es, rebuilt := x.entries(tx, k, v, nk)
				kept := slices.DeleteFunc(slices.Clone(es), func(e indexEntry) bool { return !keep(e.id) })
				if len(kept) < len(es) || rebuilt {
					removed += len(es) - len(kept)
					freed += int64((len(es) - len(kept)) * entrySize)
					changes = append(changes, change{bytes.Clone(k), kept})
				}
			}
			for _, ch := range changes {
				if err := groups.Delete(ch.key); err != nil {
					return err
				}
				if len(ch.es) > 0 {
					if err := groups.Put(prefixKey(ch.es[0].prefix), encodeGroup(ch.es)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil || next == nil {
			return removed, freed, err
		}
		from = next
	}
}

// convert moves a format-3 index (x.old: the whole hash, or in the chunk
// index the 8-byte short key of unreleased format-4 files, -> idValue)
// into groups and deletes it, in the caller's transaction; a file without
// it has nothing to convert. One transaction, so a killed upgrade leaves
// the old index or the new one, never half of each; it holds the entries
// in memory (16 bytes each: 16 MB at a million records) and writes about
// 9 bytes an entry.
func (x *groupIndex) convert(tx *bbolt.Tx) error {
	old := tx.Bucket(x.old)
	if old == nil {
		return nil
	}
	groups, err := tx.CreateBucketIfNotExists(x.bucket)
	if err != nil {
		return err
	}
	groups.FillPercent = 1.0
	var es []indexEntry
	err = old.ForEach(func(k, v []byte) error {
		id, ok := idFromValue(v)
		if !ok || (len(k) != len(Hash{}) && len(k) != oldShortKey) {
			return nil // a damaged entry: Verify names its record, whose content a backup stores again
		}
		es = append(es, indexEntry{getPrefix(k), id})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(es, cmpEntry)
	es = slices.Compact(es)
	for len(es) > 0 {
		n := min(groupCut, len(es))
		for n < len(es) && es[n].prefix == es[n-1].prefix {
			n++
		}
		if err := groups.Put(prefixKey(es[0].prefix), encodeGroup(es[:n])); err != nil {
			return err
		}
		es = es[n:]
	}
	return tx.DeleteBucket(x.old)
}

// damagedGroups calls bad with the key of each group of x that does not
// decode or is not sound (Verify names them; the next filing into one,
// or a prune, rebuilds it from the records).
func (x *groupIndex) damagedGroups(tx *bbolt.Tx, bad func(key []byte)) {
	groups := tx.Bucket(x.bucket)
	if groups == nil {
		return
	}
	c := groups.Cursor()
	for k, v := c.First(); k != nil; {
		key := bytes.Clone(k)
		g, err := decodeGroup(v)
		next, nv := c.Next()
		if err != nil || !g.sound(key, next) {
			bad(key)
		}
		k, v = next, nv
	}
}
