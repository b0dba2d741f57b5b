package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"sync"

	"go.etcd.io/bbolt"
)

// Packs (format 3; their ids shorter in format 4; no hashes in format 5).
// A batch's new blobs are stored together: their raw bytes, concatenated,
// are one zstd frame, and the record that holds the frame lists, in its
// header, each blob's id and raw length (and up to format 4 its hash). The
// record is filed in the packs bucket under its first blob id. Blob ids
// are given in order, so the packs' id ranges do not overlap: the pack
// that may hold blob id is the one filed under the greatest key at or
// below id, and its header says whether it does. A pack needs no record
// per blob, so a blob costs its share of the frame and two or three bytes
// of id and length (and 32 bytes of hash in packs of formats 3 and 4).
//
// A blob whose pack is damaged is stored afresh alone, under the same id,
// in the blobs bucket (a "loose" record: the format-1 and -2 blob record,
// hash then the blob's own zstd frame); a loose record takes precedence
// over a pack's copy. Databases of format 2 hold only loose records, which
// the upgrade moves into packs (upgrade.go).
//
// Pack record:
//
//	packFormat (1 byte: 5; 4 and 3 in packs written by format-4 and
//	  format-3 builds)
//	CRC-32C of everything after it (4 bytes, big-endian)
//	n (uvarint)
//	the first id (uvarint)
//	formats 4 and 5: 0 when the ids are consecutive (nothing more of them),
//	  else 1 (1 byte)
//	unless consecutive: each next id's difference from the one before (uvarints)
//	n raw lengths (uvarints)
//	formats 3 and 4 only: n hashes (32 bytes each)
//	the zstd frame of the n raw blobs, concatenated in that order
//
// A backup's packs take consecutive ids (one byte a blob saved, 117 KB of
// the storage benchmark); the upgrade from format 2, prune's rewrites and
// a commit's merge of its small packs (packs_merge.go) may leave gaps. The checksum lets deduplication trust a pack after one
// CRC of its bytes per run (flush.go), instead of decompressing and
// comparing each reused blob.
//
// Format 5 lists no hashes: a blob's hash is the SHA-256 of its content's
// canonical JSON, so whoever needs it computes it from the bytes
// (locator.hashOf), and deduplication confirms an index hit by comparing
// the bytes it is about to store with the stored ones (flush.go). The
// hashes were 32 of the 85 bytes an object version took in the packs.
const (
	packFormat  byte = 5
	packFormat4 byte = 4
	packFormat3 byte = 3
)

// bucketPacks files pack records under their first blob id.
var bucketPacks = []byte("packs")

// packTarget is the most raw bytes a pack holds, but for a blob larger
// than it, which has a pack of its own: see the package doc (# Packs) for
// the sizes measured. A variable for the benchmark that measures them.
var packTarget = 128 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// packView is a decoded pack header; hashes and frame alias the record.
// hashes is nil in a pack of format 5, which lists none.
type packView struct {
	sum    uint32
	ids    []uint64
	lens   []int
	offs   []int // offs[i] is where blob i starts in the raw concatenation; offs[n] the total
	hashes []byte
	frame  []byte
	hdr    int // where the frame starts in the record (format 5)
}

// encodePack makes a pack record (format 5) of the blobs ids (ascending),
// with their raw lengths, from their compressed concatenation frame.
func encodePack(ids []uint64, lens []int, frame []byte) []byte {
	rec := make([]byte, 5, 5+binary.MaxVarintLen64+len(ids)*4+len(frame))
	rec[0] = packFormat
	rec = binary.AppendUvarint(rec, uint64(len(ids)))
	rec = binary.AppendUvarint(rec, ids[0])
	consecutive := ids[len(ids)-1]-ids[0] == uint64(len(ids)-1) // ids ascend
	if consecutive {
		rec = append(rec, 0)
	} else {
		rec = append(rec, 1)
		for i := 1; i < len(ids); i++ {
			rec = binary.AppendUvarint(rec, ids[i]-ids[i-1])
		}
	}
	for _, n := range lens {
		rec = binary.AppendUvarint(rec, uint64(n))
	}
	rec = append(rec, frame...)
	binary.BigEndian.PutUint32(rec[1:5], crc32.Checksum(rec[5:], castagnoli))
	return rec
}

// decodePack decodes a pack record's header, without checking its sum.
func decodePack(rec []byte) (packView, error) {
	var p packView
	bad := func(what string) (packView, error) {
		return packView{}, fmt.Errorf("%w: pack record does not decode: %s", ErrCorrupt, what)
	}
	if len(rec) < 6 || rec[0] < packFormat3 || rec[0] > packFormat {
		return bad("format")
	}
	p.sum = binary.BigEndian.Uint32(rec[1:5])
	b := rec[5:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n == 0 || n > uint64(len(b)) {
		return bad("count")
	}
	b = b[k:]
	p.ids = make([]uint64, n)
	consecutive := false
	if rec[0] >= packFormat4 {
		first, k := binary.Uvarint(b)
		if k <= 0 || first == 0 || len(b) == k || b[k] > 1 || first+n-1 < first {
			return bad("ids")
		}
		consecutive, b = b[k] == 0, b[k+1:]
		p.ids[0] = first
		if consecutive {
			for i := range p.ids {
				p.ids[i] = first + uint64(i)
			}
		}
	}
	var prev uint64
	for i := range p.ids {
		if consecutive || (i == 0 && rec[0] >= packFormat4) {
			prev = p.ids[i]
			continue
		}
		d, k := binary.Uvarint(b)
		if k <= 0 || d == 0 || prev+d < prev {
			return bad("ids")
		}
		prev += d
		p.ids[i], b = prev, b[k:]
	}
	p.lens = make([]int, n)
	p.offs = make([]int, n+1)
	for i := range p.lens {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > maxBlobSize {
			return bad("lengths")
		}
		p.lens[i], b = int(l), b[k:]
		p.offs[i+1] = p.offs[i] + int(l)
	}
	if p.offs[n] > maxPackSize {
		return bad("lengths")
	}
	if rec[0] == packFormat {
		p.frame, p.hdr = b, len(rec)-len(b)
		return p, nil
	}
	if uint64(len(b)) < n*uint64(len(Hash{})) {
		return bad("hashes")
	}
	p.hashes, p.frame = b[:n*uint64(len(Hash{}))], b[n*uint64(len(Hash{})):]
	return p, nil
}

// maxPackSize bounds what a pack may decompress to: a blob larger than
// packTarget has a pack of its own (draftPacks).
const maxPackSize = maxBlobSize

// sumOK reports whether the record's checksum matches its bytes.
func packSumOK(rec []byte) bool {
	return len(rec) >= 5 && crc32.Checksum(rec[5:], castagnoli) == binary.BigEndian.Uint32(rec[1:5])
}

// find returns the index of blob id in the pack, -1 when it holds none.
func (p *packView) find(id uint64) int {
	i, ok := slices.BinarySearch(p.ids, id)
	if !ok {
		return -1
	}
	return i
}

// hash returns the hash the pack lists for its blob i; ok is false in a
// pack of format 5, which lists none.
func (p *packView) hash(i int) (h Hash, ok bool) {
	if p.hashes == nil {
		return h, false
	}
	copy(h[:], p.hashes[i*len(h):])
	return h, true
}

// unpack decompresses the frame: the blobs' raw bytes, concatenated.
func (p *packView) unpack() ([]byte, error) {
	raw, err := decompressPack(p.frame, p.offs[len(p.offs)-1])
	if err != nil {
		return nil, fmt.Errorf("%w: pack of blob %d: %v", ErrCorrupt, p.ids[0], err)
	}
	if len(raw) != p.offs[len(p.offs)-1] {
		return nil, fmt.Errorf("%w: pack of blob %d holds %d bytes, its header %d", ErrCorrupt, p.ids[0], len(raw), p.offs[len(p.offs)-1])
	}
	return raw, nil
}

// blobAt is a blob found by locate: a loose record's compressed content,
// or a pack and the blob's index in it. Slices alias the transaction.
// hash is the hash its record lists, valid when hashed: a loose record
// and the packs of formats 3 and 4 list it, a pack of format 5 does not
// (see hashOf).
type blobAt struct {
	hash   Hash
	hashed bool
	loose  []byte    // the loose record's zstd frame; nil for a packed blob
	key    uint64    // the pack's key (its first blob id)
	rec    []byte    // the pack record
	pack   *packView // its decoded header
	idx    int
	id     uint64 // the blob's id (a packed blob)
}

// locator finds blobs by id in one transaction, keeping the last pack it
// decoded: the blobs of a chunk tend to share packs.
type locator struct {
	loose, packs *bbolt.Bucket
	cur          *bbolt.Cursor
	lastKey      uint64
	lastRec      []byte
	last         *packView
	// cache, when set, is the database's decoded-pack cache, which raw
	// reads and fills; else the locator keeps the last pack it
	// decompressed (unpacked).
	cache    *packCache
	unpacked *decodedPack
	unpackK  packKey
}

func newLocator(tx *bbolt.Tx) *locator {
	l := &locator{loose: tx.Bucket(bucketBlobs), packs: tx.Bucket(bucketPacks)}
	if l.packs != nil { // nil in a format-2 file opened read-only
		l.cur = l.packs.Cursor()
	}
	return l
}

// withCache makes l read and fill the decoded-pack cache c.
func (l *locator) withCache(c *packCache) *locator {
	l.cache = c
	return l
}

// locate finds blob id: its loose record first, else the pack that holds
// it. A blob found nowhere is an error wrapping ErrCorrupt ("missing"); a
// record that does not decode, one wrapping ErrCorrupt.
func (l *locator) locate(id uint64) (blobAt, error) {
	if rec := l.loose.Get(idKey(id)); rec != nil {
		h, packed, err := decodeBlob(rec)
		if err != nil {
			return blobAt{}, fmt.Errorf("blob %d: %w", id, err)
		}
		return blobAt{hash: h, hashed: true, loose: packed}, nil
	}
	if l.last != nil && id >= l.lastKey && id <= l.last.ids[len(l.last.ids)-1] {
		if i := l.last.find(id); i >= 0 {
			h, ok := l.last.hash(i)
			return blobAt{hash: h, hashed: ok, key: l.lastKey, rec: l.lastRec, pack: l.last, idx: i, id: id}, nil
		}
	}
	if l.cur == nil {
		return blobAt{}, missingBlob(id)
	}
	k, v := l.cur.Seek(idKey(id))
	if k == nil || !bytes.Equal(k, idKey(id)) {
		k, v = l.cur.Prev()
	}
	key, ok := idFromKey(k)
	if !ok || v == nil {
		return blobAt{}, missingBlob(id)
	}
	p := l.cachedView(key, v)
	if p == nil {
		d, err := decodePack(v)
		if err != nil {
			return blobAt{}, fmt.Errorf("blob %d: %w", id, err)
		}
		p = &d
	}
	l.lastKey, l.lastRec, l.last = key, v, p
	i := p.find(id)
	if i < 0 {
		return blobAt{}, missingBlob(id)
	}
	h, hashed := p.hash(i)
	return blobAt{hash: h, hashed: hashed, key: key, rec: v, pack: p, idx: i, id: id}, nil
}

// cachedView returns the header of pack record rec (of key), of format 5,
// from the decoded-pack cache instead of decoding it again (a reader of
// one blob at a time, like Blob, would decode its pack's header for every
// blob): the cached view's ids and offsets, with the frame of rec. nil
// when l has no cache, the pack is of an older format (the cache keeps no
// hashes) or the cache does not hold this version of it.
func (l *locator) cachedView(key uint64, rec []byte) *packView {
	if l.cache == nil || len(rec) < 6 || rec[0] != packFormat {
		return nil
	}
	d := l.cache.get(packKey{key: key, sum: binary.BigEndian.Uint32(rec[1:5])})
	if d == nil || d.view.hdr <= 0 || d.view.hdr > len(rec) {
		return nil
	}
	v := d.view
	v.frame = rec[v.hdr:]
	return &v
}

// raw returns the raw bytes of a blob locate found, decompressed: for a
// packed blob, a slice of the decompressed pack, which is never changed
// and outlives the transaction (the caller must not change it); for a
// loose one, a copy. A pack is decompressed once while it stays in the
// cache (or, without one, while it is the last one l decompressed). An
// error wraps ErrCorrupt.
func (l *locator) raw(at blobAt) ([]byte, error) {
	if at.loose != nil {
		raw, err := decompress(at.loose)
		if err != nil {
			return nil, fmt.Errorf("%w: loose blob: %v", ErrCorrupt, err)
		}
		return raw, nil
	}
	pk := packKey{key: at.key, sum: at.pack.sum}
	var d *decodedPack
	switch {
	case l.unpacked != nil && l.unpackK == pk:
		d = l.unpacked
	case l.cache != nil:
		d = l.cache.get(pk)
	}
	if d == nil {
		raw, err := at.pack.unpack()
		if err != nil {
			return nil, err
		}
		v := *at.pack
		v.hashes, v.frame = nil, nil
		d = &decodedPack{view: v, raw: raw}
		if l.cache != nil {
			l.cache.put(pk, d)
		}
	}
	l.unpacked, l.unpackK = d, pk
	i := at.idx
	if i >= len(d.view.ids) || d.view.ids[i] != at.id {
		// The cached pack is this version of it (its key and checksum),
		// so its blobs are at.pack's; never trust an index blindly.
		if i = d.view.find(at.id); i < 0 {
			return nil, fmt.Errorf("%w: blob %d is not in the pack of key %d", ErrCorrupt, at.id, at.key)
		}
	}
	return d.raw[d.view.offs[i]:d.view.offs[i+1]:d.view.offs[i+1]], nil
}

// hashOf returns the blob's hash: the one its record lists, else (a pack
// of format 5) the hash of its content. The content's hash is what the
// blob holds even when its pack fails its checksum: callers that must
// know whether the bytes are as written check the checksum apart.
func (l *locator) hashOf(at blobAt) (Hash, error) {
	if at.hashed {
		return at.hash, nil
	}
	raw, err := l.raw(at)
	if err != nil {
		return Hash{}, err
	}
	return ContentHash(raw)
}

// holds reports whether the blob locate found is the content of hash h:
// the hash its record lists is h, or (format 5) its content hashes to h.
// raw, when not nil, is h's content as about to be stored: stored bytes
// equal to it are h's without hashing them.
func (l *locator) holds(at blobAt, h Hash, raw []byte) bool {
	if at.hashed {
		return at.hash == h
	}
	stored, err := l.raw(at)
	if err != nil {
		return false
	}
	if raw != nil && bytes.Equal(stored, raw) {
		return true
	}
	got, err := ContentHash(stored)
	return err == nil && got == h
}

// packRaws groups the objects batch[i], i in idx, into packs of about
// packTarget raw bytes, in order, and compresses each on up to workers
// goroutines. Ids are given later, in the write transaction.
type packDraft struct {
	members []int // indexes in batch
	lens    []int
	hashes  []Hash
	frame   []byte
	// rec, when set, is the record of the pack given consecutive ids
	// but for its first bytes: packHeadRoom bytes left for the format,
	// checksum, count and first id (right-aligned, see record), then the
	// lengths and the frame. The frame is compressed into it, so
	// that a pack's bytes are neither allocated twice nor copied.
	rec []byte
}

// maxKeptRec is the largest record buffer a Writer keeps for a later
// batch's pack.
const maxKeptRec = 1 << 20

// keepRecs appends the drafts' record buffers to free, for compressDrafts
// to compress a later batch's packs into (made afresh for each pack, they
// were 15% of a first backup's allocation), and returns it. The caller is
// done with the drafts: bbolt copied their records into its pages when
// the transaction that stored them committed, and keeps no slice of them
// once it is over.
func keepRecs(drafts []*packDraft, free [][]byte) [][]byte {
	for _, d := range drafts {
		if d.rec != nil && cap(d.rec) <= maxKeptRec {
			free = append(free, d.rec[:0])
		}
		d.rec, d.frame = nil, nil
	}
	return free
}

// packHeadRoom is the room a draft's rec leaves for what depends on its
// ids: format, checksum, two uvarints and the consecutive flag.
const packHeadRoom = 1 + 4 + 2*binary.MaxVarintLen64 + 1

func draftPacks(batch []pending, idx []int) []*packDraft {
	var out []*packDraft
	// The packs' bounds first, so that each draft's slices are made once
	// at their size (appending to them was 4% of a backup's allocation).
	var ends []int
	size := 0
	for j, i := range idx {
		n := len(batch[i].raw)
		// A blob larger than a pack gets one of its own, so that no pack
		// decompresses to more than the largest blob (the decoder's bound).
		// A pack is closed before the blob that would take it past
		// packTarget, not after: a pack just past it cost zstd a small
		// block of its own after the full ones (23% more time on such
		// packs, 0.3% more bytes), and up to packTarget a pack is one
		// block (newPackEncoder).
		if j > 0 && (size+n > packTarget || n > packTarget) {
			ends, size = append(ends, j), 0
		}
		size += n
		if n > packTarget {
			size = packTarget // closed after it
		}
	}
	ends = append(ends, len(idx))
	start := 0
	for _, end := range ends {
		if end == start {
			continue
		}
		n := end - start
		d := &packDraft{members: idx[start:end:end], lens: make([]int, n), hashes: make([]Hash, n)}
		for j, i := range d.members {
			d.lens[j], d.hashes[j] = len(batch[i].raw), batch[i].hash
		}
		out = append(out, d)
		start = end
	}
	return out
}

// packRaws holds the buffers compressDrafts concatenates a pack's blobs
// in, from batch to batch.
var packRaws = sync.Pool{New: func() any { return new([]byte) }}

// compressDrafts compresses each draft's blobs on up to workers goroutines,
// into its record (rec, frame): drafts[j]'s into free[j] when there is one
// with the room, else into a fresh buffer. free's buffers are the
// caller's to give, and must not be in use.
func compressDrafts(batch []pending, drafts []*packDraft, workers int, free [][]byte) error {
	return forEachParallel(len(drafts), workers, func(j int, _ []byte) ([]byte, error) {
		d := drafts[j]
		raw, ok := inPlace(batch, d.members)
		if !ok {
			bp := packRaws.Get().(*[]byte)
			defer packRaws.Put(bp)
			raw = (*bp)[:0]
			for _, i := range d.members {
				raw = append(raw, batch[i].raw...)
			}
			if cap(raw) <= 2*packTarget {
				*bp = raw // a huge blob's buffer is not kept
			}
		}
		want := packHeadRoom + len(d.lens)*3 + len(raw)/4 + 64
		var rec []byte
		if j < len(free) && cap(free[j]) >= want {
			rec = free[j][:0]
		} else {
			rec = make([]byte, 0, want)
		}
		rec = rec[:packHeadRoom] // what record writes there depends on the ids
		for _, n := range d.lens {
			rec = binary.AppendUvarint(rec, uint64(n))
		}
		head := len(rec)
		rec, err := compressPack(rec, raw)
		if err != nil {
			return nil, err
		}
		d.rec, d.frame = rec, rec[head:]
		return nil, nil
	})
}

// inPlace returns the raw bytes of the objects batch[i] for i in members
// one after the other, and true, when they lie so in memory already (a
// backup's objects copied into a Writer's chunk, copyRaw): the slice of
// the first object's room that holds them all. Else it returns false, and
// the caller copies them together.
func inPlace(batch []pending, members []int) ([]byte, bool) {
	first := batch[members[0]].raw
	n := len(first)
	for _, i := range members[1:] {
		r := batch[i].raw
		// first[:n+1] is only made within first's room; the byte after
		// the objects so far being r's first means r follows them.
		if len(r) == 0 || n+len(r) > cap(first) || &first[:n+1][n] != &r[0] {
			return nil, false
		}
		n += len(r)
	}
	return first[:n:n], true
}

// record returns the draft's pack record for blobs ids (consecutive), in
// place in rec when it was compressed there (encodePack's bytes), else
// made by encodePack.
func (d *packDraft) record(ids []uint64) []byte {
	if d.rec == nil || ids[len(ids)-1]-ids[0] != uint64(len(ids)-1) {
		return encodePack(ids, d.lens, d.frame)
	}
	var head [packHeadRoom]byte
	h := append(head[:0], packFormat, 0, 0, 0, 0)
	h = binary.AppendUvarint(h, uint64(len(ids)))
	h = binary.AppendUvarint(h, ids[0])
	h = append(h, 0) // consecutive
	rec := d.rec[packHeadRoom-len(h):]
	copy(rec, h)
	binary.BigEndian.PutUint32(rec[1:5], crc32.Checksum(rec[5:], castagnoli))
	return rec
}

// storePack gives the draft's blobs the next ids of the blobs bucket and
// files its record; it returns the ids and the bytes written.
func storePack(tx *bbolt.Tx, d *packDraft) ([]uint64, int64, error) {
	loose, packs := tx.Bucket(bucketBlobs), tx.Bucket(bucketPacks)
	ids := make([]uint64, len(d.members))
	for j := range ids {
		id, err := loose.NextSequence()
		if err != nil {
			return nil, 0, fmt.Errorf("next id: %w", err)
		}
		ids[j] = id
	}
	rec := d.record(ids)
	packs.FillPercent = appendFill
	k := idKey(ids[0])
	if err := packs.Put(k, rec); err != nil {
		return nil, 0, err
	}
	return ids, int64(len(k) + len(rec)), nil
}

// forEachParallel calls fn(j, buf) for j from 0 to n-1 on up to workers
// goroutines; each goroutine passes the buffer fn returned to its next
// call. It returns the errors joined.
func forEachParallel(n, workers int, fn func(j int, buf []byte) ([]byte, error)) error {
	workers = max(1, min(workers, n))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			var buf []byte
			for j := g; j < n; j += workers {
				var err error
				if buf, err = fn(j, buf); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// errMissing marks a blob that neither a loose record nor a pack holds.
var errMissing = errors.New("missing")

func missingBlob(id uint64) error { return fmt.Errorf("%w: blob %d is %w", ErrCorrupt, id, errMissing) }

// packCheck is what reading a whole pack found: all, when not "", is
// what is wrong with every blob in it; bad names the blobs whose content
// does not hash to their address (the hash the pack lists). For a pack
// of format 5, which lists none, hashes holds what each blob's content
// hashes to (for the caller to check against the blob index, which files
// the hash's prefix under the blob's id), also when all is set, for the
// blobs whose bytes still decompress.
type packCheck struct {
	all    string
	bad    map[uint64]string
	hashes map[uint64]Hash
}

// checkPack checks a pack record copied out of the database: its
// checksum, its frame, and each blob's content against its hash.
func checkPack(rec []byte) packCheck {
	var c packCheck
	if !packSumOK(rec) {
		c.all = "its pack fails its checksum"
	}
	p, err := decodePack(rec)
	if err != nil {
		if c.all == "" {
			c.all = err.Error()
		}
		return c
	}
	raw, err := p.unpack()
	if err != nil {
		if c.all == "" {
			c.all = err.Error()
		}
		return c
	}
	if c.all != "" && p.hashes != nil {
		return c
	}
	for i, id := range p.ids {
		got, err := ContentHash(raw[p.offs[i]:p.offs[i+1]])
		listed, ok := p.hash(i)
		switch {
		case err != nil:
			c.bad = addBad(c.bad, id, err.Error())
		case !ok:
			if c.hashes == nil {
				c.hashes = make(map[uint64]Hash, len(p.ids))
			}
			c.hashes[id] = got
		case got != listed:
			c.bad = addBad(c.bad, id, fmt.Sprintf("content hashes to %s, not to its address", got.Short()))
		}
	}
	return c
}

func addBad(m map[uint64]string, id uint64, msg string) map[uint64]string {
	if m == nil {
		m = map[uint64]string{}
	}
	m[id] = msg
	return m
}
