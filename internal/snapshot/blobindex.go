package snapshot

import (
	"bytes"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// The blob index (format 4): content hash -> blob id, for deduplication
// and [DB.Blob]. Up to format 3 it was a bucket keyed by the full 32-byte
// hash, one bbolt element (16 bytes) per entry: 51 bytes an entry, 3.4 MB
// of the 20 MiB storage benchmark, while the pack that holds the blob
// lists the same hash again.
//
// Now entries are the hash's first 6 bytes and the id, in fixed-width
// entries sorted by prefix, then id, cut into groups of at most
// groupMax entries; each group is one record of the blob-groups bucket,
// keyed by its first entry's prefix. A lookup seeks the group at or
// below the hash's prefix and binary-searches it. About 9 bytes an
// entry (ids take 3 bytes up to 2^24, more past it). The full hash is
// checked against the pack's header (or the loose record), which a
// lookup's caller reads anyway: an entry whose blob has another prefix
// means a wrong index (ErrCorrupt, as before); one whose blob has the
// same prefix but another hash is a prefix collision (2^-48 a pair of
// blobs: about one chance in 500 that a database of a million blobs
// holds one), and every entry of the prefix is tried. Entries of one
// prefix are never split across groups.
//
// Group record:
//
//	groupFormat (1 byte)
//	w: the width of the ids (1 byte, 3 to 8)
//	n entries: the 6-byte hash prefix, then the id, big-endian in w bytes
var bucketBlobGroups = []byte("blob-groups")

// bucketBlobIndex3 is the format-3 blob index (hash -> id as idValue),
// read when a file not yet upgraded is opened read-only; the upgrade to
// format 4 replaces it with bucketBlobGroups.
var bucketBlobIndex3 = []byte("blob-index")

const (
	groupFormat byte = 1
	prefixLen        = 6
	// groupMax is the most entries a group takes; a filing that grows a
	// group beyond it splits it into groups of at most groupCut. Large
	// groups keep bbolt's page rounding (half a page a group, in whole
	// 4 KiB overflow pages) small; see the package doc for the figures.
	groupMax = 4096
	groupCut = 3072
)

// blobEntry is one index entry: the hash's prefix and the blob id.
type blobEntry struct {
	prefix uint64
	id     uint64
}

// blobEntrySize is what an entry adds to a snapshot's added_bytes.
const blobEntrySize = prefixLen + 3

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

func cmpEntry(a, b blobEntry) int {
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

func decodeGroup(rec []byte) (groupView, error) {
	if len(rec) < 2 || rec[0] != groupFormat || rec[1] < 3 || rec[1] > 8 || (len(rec)-2)%(prefixLen+int(rec[1])) != 0 || len(rec) == 2 {
		return groupView{}, fmt.Errorf("%w: blob index group does not decode", ErrCorrupt)
	}
	return groupView{w: int(rec[1]), rec: rec}, nil
}

func (g groupView) len() int { return (len(g.rec) - 2) / (prefixLen + g.w) }

func (g groupView) at(i int) blobEntry {
	e := g.rec[2+i*(prefixLen+g.w):]
	var id uint64
	for _, b := range e[prefixLen : prefixLen+g.w] {
		id = id<<8 | uint64(b)
	}
	return blobEntry{prefix: getPrefix(e), id: id}
}

// first returns the index of the first entry whose prefix is at least p.
func (g groupView) first(p uint64) int {
	n := g.len()
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if getPrefix(g.rec[2+m*(prefixLen+g.w):]) < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (g groupView) entries() []blobEntry {
	out := make([]blobEntry, g.len())
	for i := range out {
		out[i] = g.at(i)
	}
	return out
}

// encodeGroup makes a group record of entries (sorted, at least one).
func encodeGroup(es []blobEntry) []byte {
	var most uint64
	for _, e := range es {
		most = max(most, e.id)
	}
	w := 3
	for w < 8 && most>>(8*w) != 0 {
		w++
	}
	rec := make([]byte, 2, 2+len(es)*(prefixLen+w))
	rec[0], rec[1] = groupFormat, byte(w)
	for _, e := range es {
		rec = appendPrefix(rec, e.prefix)
		for s := w - 1; s >= 0; s-- {
			rec = append(rec, byte(e.id>>(8*s)))
		}
	}
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

// blobCandidates appends to ids each id the index files under h's
// prefix (usually none or one), in order. A file of an older format
// opened read-only is read through its old index. Deduplication looks up
// every object a backup fetches: give it a small array's slice, and the
// lookup allocates nothing.
func blobCandidates(tx *bbolt.Tx, h Hash, ids []uint64) []uint64 {
	groups := tx.Bucket(bucketBlobGroups)
	if groups == nil {
		if old := tx.Bucket(bucketBlobIndex3); old != nil {
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

// lookupBlobID returns the id of the blob of hash h, 0 when the index has
// none. With one candidate (the rule) it is returned unchecked: callers
// read the blob's record and compare its hash (see sameBlob). With more,
// the one whose record holds h is returned, else the first.
func lookupBlobID(tx *bbolt.Tx, h Hash) uint64 {
	var buf [2]uint64
	ids := blobCandidates(tx, h, buf[:0])
	switch len(ids) {
	case 0:
		return 0
	case 1:
		return ids[0]
	}
	l := newLocator(tx)
	for _, id := range ids {
		if at, err := l.locate(id); err == nil && at.hash == h {
			return id
		}
	}
	return ids[0]
}

// indexedUnder reports whether the index has an entry for h under id.
func indexedUnder(tx *bbolt.Tx, h Hash, id uint64) bool {
	var buf [2]uint64
	return slices.Contains(blobCandidates(tx, h, buf[:0]), id)
}

// prefixCollision reports whether stored, the hash a record holds, is not
// h but shares its index prefix: another blob, not a wrong index entry.
func prefixCollision(stored, h Hash) bool { return stored != h && prefixOf(stored) == prefixOf(h) }

// fileBlobEntries files entries (sorted by hash) into the groups bucket:
// each group they land in is read, merged and written again, split when
// it outgrows groupMax.
func fileBlobEntries(tx *bbolt.Tx, part []filedBlob) error {
	groups := tx.Bucket(bucketBlobGroups)
	groups.FillPercent = 1.0 // large records: a group to a node
	add := make([]blobEntry, len(part))
	for i, b := range part {
		add[i] = blobEntry{prefixOf(b.hash), b.id}
	}
	slices.SortFunc(add, cmpEntry)
	c := groups.Cursor()
	for len(add) > 0 {
		k, v := groupAt(c, add[0].prefix)
		var cur []blobEntry
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
			cur, _ = groupEntries(tx, oldKey, v, next)
		}
		n := len(add)
		if next != nil {
			np := getPrefix(next)
			n, _ = slices.BinarySearchFunc(add, np, func(e blobEntry, p uint64) int { return cmpU64(e.prefix, p) })
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

// groupEntries returns the entries of the group filed under key, whose
// record is v; next is the key of the group after it (nil for the last).
// A record that does not decode is rebuilt (rebuilt true) from the blobs'
// records: every blob whose hash falls in the group's range, read from
// the packs' headers and the loose records (a scan of every pack header:
// some 50 ms a million blobs, paid only on damage). So one damaged group
// stops no filing and no prune, and its blobs are found again.
func groupEntries(tx *bbolt.Tx, key, v, next []byte) (es []blobEntry, rebuilt bool) {
	if g, err := decodeGroup(v); err == nil {
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
	if packs := tx.Bucket(bucketPacks); packs != nil {
		_ = packs.ForEach(func(_, v []byte) error {
			p, err := decodePack(v)
			if err != nil {
				return nil // Verify names it
			}
			for i, id := range p.ids {
				if h := p.hash(i); in(h) {
					es = append(es, blobEntry{prefixOf(h), id})
				}
			}
			return nil
		})
	}
	_ = tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		id, ok := idFromKey(k)
		h, _, err := decodeBlob(v)
		if ok && err == nil && in(h) {
			es = append(es, blobEntry{prefixOf(h), id})
		}
		return nil
	})
	slices.SortFunc(es, cmpEntry)
	return slices.Compact(es), true
}

// mergeEntries merges two sorted entry lists, dropping exact duplicates.
func mergeEntries(a, b []blobEntry) []blobEntry {
	out := make([]blobEntry, 0, len(a)+len(b))
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
func cutGroups(es []blobEntry) [][]blobEntry {
	if len(es) <= groupMax {
		return [][]blobEntry{es}
	}
	parts := (len(es) + groupCut - 1) / groupCut
	per := (len(es) + parts - 1) / parts
	var out [][]blobEntry
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

// sweepBlobIndex drops the entries of the blobs keep rejects, rewriting
// the groups that held them, up to sweepBatch groups a transaction. It
// returns the entries dropped and their bytes.
func (db *DB) sweepBlobIndex(keep func(id uint64) bool) (removed int, freed int64, err error) {
	var from []byte
	for {
		var next []byte
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			groups := tx.Bucket(bucketBlobGroups)
			groups.FillPercent = 1.0
			type change struct {
				key []byte
				es  []blobEntry
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
				es, rebuilt := groupEntries(tx, k, v, nk)
				kept := slices.DeleteFunc(slices.Clone(es), func(e blobEntry) bool { return !keep(e.id) })
				if len(kept) < len(es) || rebuilt {
					removed += len(es) - len(kept)
					freed += int64((len(es) - len(kept)) * blobEntrySize)
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

// convertBlobIndex moves a format-3 blob index (bucketBlobIndex3, sorted
// by hash) into groups and deletes it, in the caller's transaction; a
// file without it has nothing to convert. One transaction, so a killed
// upgrade leaves the old index or the new one, never half of each; it
// holds the entries in memory (16 bytes each: 16 MB at a million blobs)
// and writes about 9 bytes an entry.
func convertBlobIndex(tx *bbolt.Tx) error {
	old := tx.Bucket(bucketBlobIndex3)
	if old == nil {
		return nil
	}
	groups, err := tx.CreateBucketIfNotExists(bucketBlobGroups)
	if err != nil {
		return err
	}
	groups.FillPercent = 1.0
	var es []blobEntry
	err = old.ForEach(func(k, v []byte) error {
		h, ok := hashFrom(k)
		id, ok2 := idFromValue(v)
		if !ok || !ok2 {
			return nil // a damaged entry: Verify names its blob, whose content a backup stores again
		}
		es = append(es, blobEntry{prefixOf(h), id})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(es, cmpEntry)
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
	return tx.DeleteBucket(bucketBlobIndex3)
}
