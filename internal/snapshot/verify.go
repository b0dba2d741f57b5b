package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/enspace-sync/enspace-sync/internal/idset"
	"slices"
	"sort"
	"strings"

	"go.etcd.io/bbolt"
)

// maxProblems caps the problems a report lists; the rest are counted.
const maxProblems = 10_000

// Problem is one damaged thing found by Verify.
// Its JSON form is what verify --json prints of it.
type Problem struct {
	Snapshot   string `json:"snapshot"`             // the snapshot's id; "" when no snapshot can be named
	Collection string `json:"collection,omitempty"` // "" for a damaged record
	Key        string `json:"key,omitempty"`        // the object's key; "" for a damaged root or chunk
	Hash       Hash   `json:"-"`                    // the damaged root, or the blob's hash; zero for a record or a chunk (Err names chunks by id)
	Err        string `json:"error"`                // what is wrong
	// Content marks a blob whose record is sound but whose bytes do not
	// decompress or hash to its address: the next backup that fetches the
	// object heals it (see RecordDamage); every other problem is structural.
	Content bool `json:"content,omitempty"`
}

// String describes the problem on one line.
func (p Problem) String() string {
	s := "snapshot " + p.Snapshot
	if p.Collection != "" {
		s += " " + p.Collection
	}
	if p.Key != "" {
		s += fmt.Sprintf(" key %q", p.Key)
	}
	if !p.Hash.IsZero() {
		s += " (" + p.Hash.Short() + ")"
	}
	return s + ": " + p.Err
}

// VerifyReport is what Verify checked and found.
type VerifyReport struct {
	Snapshots   int   // records checked
	Collections int   // collection references checked
	Chunks      int   // distinct chunks and index nodes checked
	Blobs       int   // distinct blobs checked
	Objects     int64 // entries checked, over all snapshots
	ReadData    bool  // whether blobs were decompressed and re-hashed
	Problems    []Problem
	Unlisted    int // problems beyond the listed ones
	Structural  int // problems, listed or not, that are not Content
	// DamagedBlobs are the blobs whose content is damaged: id -> the hash
	// their record holds (and their index files them under).
	DamagedBlobs map[uint64]Hash
}

// OK reports whether nothing is damaged.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// Damaged returns the ids of the snapshots with problems, sorted.
func (r *VerifyReport) Damaged() []string {
	seen := map[string]bool{}
	var ids []string
	for _, p := range r.Problems {
		if !seen[p.Snapshot] {
			seen[p.Snapshot] = true
			ids = append(ids, p.Snapshot)
		}
	}
	sort.Strings(ids)
	return ids
}

func (r *VerifyReport) add(p Problem) {
	if !p.Content {
		r.Structural++
	}
	if len(r.Problems) >= maxProblems {
		r.Unlisted++
		return
	}
	r.Problems = append(r.Problems, p)
}

// Verify checks that every snapshot record decodes and that its roots,
// index nodes, chunks and blobs exist and decode, and that roots, index
// nodes and chunks hash to their addresses. With readData, every referenced blob is also decompressed and
// its canonical JSON re-hashed to its address. Problems name the snapshot
// and, for blobs, the collection and key. progress, when not nil, is called
// outside any transaction with objects checked and the total. The error is
// for failures to read at all; damage is in the report.
//
// A file so damaged that reading it panics (bbolt panics on a page whose
// header is not what it expects) is reported as damage, not as a crash.
func (db *DB) Verify(readData bool, progress func(done, total int)) (rep *VerifyReport, err error) {
	return db.verify(readData, progress, nil, true)
}

// VerifyContext is Verify that stops, with ctx's error, soon after ctx is
// done: between two reads of the database, so that a long check (verify
// --read-data of a large database) ends on Ctrl-C.
func (db *DB) VerifyContext(ctx context.Context, readData bool, progress func(done, total int)) (*VerifyReport, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return db.verify(readData, progress, func(int) error { return ctx.Err() }, true)
}

// verify is Verify; pace, when not nil, is told of the bytes each read
// transaction copied, after it ended, and may wait (Scrub's bandwidth) or
// stop the check with an error. Unless hold, a prune may run meanwhile and
// remove what a forgotten snapshot referred to: the caller must check any
// problem found again, holding.
func (db *DB) verify(readData bool, progress func(done, total int), pace func(n int) error, hold bool) (rep *VerifyReport, err error) {
	if hold {
		// Prune waits while Verify runs, so nothing it reads disappears midway.
		db.gc.RLock()
		defer db.gc.RUnlock()
	}
	rep = &VerifyReport{ReadData: readData, DamagedBlobs: map[uint64]Hash{}}
	defer func() {
		if p := recover(); p != nil {
			rep.add(Problem{Err: fmt.Sprintf("the database file is damaged: reading it failed: %v", p)})
			err = nil
		}
	}()
	var snaps []*Snapshot
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSnapshots).ForEach(func(k, v []byte) error {
			s := new(Snapshot)
			if err := json.Unmarshal(v, s); err != nil {
				rep.add(Problem{Snapshot: string(k), Err: "record does not decode: " + err.Error()})
				return nil
			}
			if s.ID != string(k) {
				rep.add(Problem{Snapshot: string(k), Err: fmt.Sprintf("record is filed under another id (%q)", s.ID)})
			}
			snaps = append(snaps, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		for _, x := range []struct {
			name string
			ix   *groupIndex
		}{{"blob", blobIndex}, {"chunk", chunkIndex}} {
			x.ix.damagedGroups(tx, func(key []byte) {
				rep.add(Problem{Err: fmt.Sprintf("the %s index group %x is damaged: the next backup that files into it, or a prune, rebuilds it from the records", x.name, key)})
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	sortSnapshots(snaps)
	v := &verifier{db: db, rep: rep, readData: readData, progress: progress, pace: pace,
		chunkOK: map[uint64]bool{}, blobs: newBlobChecks(), packs: map[packKey]packCheck{}}
	for _, s := range snaps {
		for _, c := range s.Collections {
			v.total += c.Count
		}
	}
	for _, s := range snaps {
		rep.Snapshots++
		for _, name := range s.collectionNames() {
			rep.Collections++
			if err := v.collection(s, name); err != nil {
				return rep, fmt.Errorf("verify: %w", err)
			}
		}
	}
	rep.Chunks, rep.Blobs = len(v.chunkOK), v.blobs.count()
	rep.Objects = int64(v.done)
	if progress != nil {
		progress(v.done, v.total)
	}
	return rep, nil
}

type verifier struct {
	db          *DB
	rep         *VerifyReport
	readData    bool
	progress    func(done, total int)
	pace        func(n int) error // see DB.verify; nil: no pacing
	done, total int
	chunkOK     map[uint64]bool               // chunk id -> it and all its blobs are sound
	blobs       *blobChecks                   // what the check of each blob found
	packs       map[packKey]packCheck         // with readData: the packs read, and what they hold damaged
	indexedSet  *idset.Set                    // without readData: the ids the blob index files (indexedIDs)
	content     func(h Hash, key, msg string) // reports content damage in the collection being checked
	// skip, while a patch's base is checked, holds the patch's entries:
	// the base's entries of those keys are not the patched view's, so
	// their blobs are neither checked nor reported under it.
	skip []patchEntry
	// filtered counts the chunks checked with entries skipped: neither
	// they nor the index nodes above them are then marked sound.
	filtered int
}

// read tells the pace of n bytes copied out of the database.
func (v *verifier) read(n int) error {
	if v.pace == nil || n == 0 {
		return nil
	}
	return v.pace(n)
}

// blobState is the outcome of one blob's check.
type blobState struct {
	hash    Hash   // the hash its record holds; zero when there is none
	err     string // "" when sound, else the problem
	content bool   // the problem is the content's (the record and index are sound)
}

// checkBlobs checks the blobs of es not checked yet: their records are
// present and decode, and the index files their hash under their id; with
// readData, their content re-hashes to that hash. Records are copied in one
// read transaction and checked after it.
func (v *verifier) checkBlobs(es []entry) error {
	type found struct {
		missing bool
		hash    Hash
		err     error
		indexed uint64
		loose   []byte  // readData: a loose blob's frame, copied out
		pack    packKey // a packed blob's pack
		packed  bool
		// unhashed: a blob of a pack of format 5, which lists no hash:
		// with readData, its hash is its content's (checkPack), checked
		// against the index after; without, the index is checked to
		// file some entry under its id (indexedIDs).
		unhashed bool
	}
	todo := map[uint64]*found{}
	if err := v.db.unfiledReady(); err != nil {
		return err
	}
	recs := map[packKey][]byte{} // readData: packs not checked yet, copied out
	err := v.db.bolt.View(func(tx *bbolt.Tx) error {
		loc := newLocator(tx)
		filed, _, err := filedThrough(tx)
		if err != nil {
			return err
		}
		for _, e := range es {
			if v.blobs.seen(e.id) {
				continue
			}
			if _, seen := todo[e.id]; seen {
				continue
			}
			f := &found{}
			todo[e.id] = f
			at, err := loc.locate(e.id)
			if err != nil {
				f.missing, f.err = errors.Is(err, errMissing), err
				continue
			}
			switch {
			case at.hashed:
				f.hash = at.hash
				if indexedUnder(tx, f.hash, e.id) {
					f.indexed = e.id
				}
				if e.id > filed && f.indexed == 0 {
					f.indexed = v.db.unfiled.waitingID(f.hash) // its entry waits
					if f.indexed == 0 && slices.Contains(v.db.unfiled.prefixedIDs(f.hash, nil), e.id) {
						f.indexed = e.id // waits under its prefix alone
					}
				}
			case !v.readData:
				// The entries of the blobs above the watermark wait in
				// memory, read from these very packs when the database
				// opened: only those filed can be checked without the
				// content's hash.
				f.unhashed = true
				if e.id > filed || v.indexedIDs(tx).Has(e.id) {
					f.indexed = e.id
				} else if h, err := loc.withCache(v.db.packs).hashOf(at); err == nil {
					// Not indexed: the content's hash, to name it, and
					// the precise check (a group that does not decode
					// is not in indexedIDs).
					f.hash = h
					if indexedUnder(tx, h, e.id) {
						f.indexed = e.id
					}
				}
			default:
				f.unhashed = true
			}
			if !v.readData {
				continue
			}
			if at.loose != nil {
				f.loose = bytes.Clone(at.loose)
				continue
			}
			f.pack, f.packed = packKey{at.key, at.pack.sum}, true
			if _, ok := v.packs[f.pack]; !ok && recs[f.pack] == nil {
				recs[f.pack] = bytes.Clone(at.rec)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	read := 0
	for _, f := range todo {
		read += len(f.loose) + len(f.hash)
	}
	for _, rec := range recs {
		read += len(rec)
	}
	if err := v.read(read); err != nil {
		return err
	}
	for pk, rec := range recs {
		v.packs[pk] = checkPack(rec)
	}
	if v.readData {
		// The hashes of the blobs of format-5 packs are their content's:
		// the index must file each under its id (or hold it waiting).
		err := v.db.bolt.View(func(tx *bbolt.Tx) error {
			filed, _, err := filedThrough(tx)
			if err != nil {
				return err
			}
			for id, f := range todo {
				if !f.unhashed || !f.packed {
					continue
				}
				h, ok := v.packs[f.pack].hashes[id]
				if !ok {
					continue // its content does not read: damaged, its hash unknown
				}
				if indexedUnder(tx, h, id) || (id > filed && (v.db.unfiled.waitingID(h) == id || slices.Contains(v.db.unfiled.prefixedIDs(h, nil), id))) {
					f.hash, f.indexed = h, id
				} else if v.packs[f.pack].all == "" {
					f.hash = h // named in the problem; from a damaged pack it is no one's
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for id, f := range todo {
		st := blobState{hash: f.hash}
		switch {
		case f.missing:
			st.err = fmt.Sprintf("blob %d is missing", id)
		case f.err != nil:
			st.err = strings.TrimPrefix(f.err.Error(), ErrCorrupt.Error()+": ")
		case f.unhashed && v.readData && f.indexed == 0 && v.packs[f.pack].all == "" && v.packs[f.pack].bad[id] == "" && v.indexedLater(id):
			// Its content hashes to a hash the index does not file under
			// its id, and the index files its id under another prefix:
			// the content is not what was stored under that address
			// (written over, checksum and all, or damaged before its
			// pack's checksum was made).
			st.err, st.content = fmt.Sprintf("blob is damaged: content hashes to %s, not to its address", f.hash.Short()), true
			st.hash, f.hash = Hash{}, Hash{}
			v.rep.DamagedBlobs[id] = Hash{}
		case f.unhashed && v.readData && f.indexed == 0 && v.packs[f.pack].all == "" && v.packs[f.pack].bad[id] == "":
			// Its content hashes to a hash the index does not file under
			// its id, nor the id under any other: the index lacks it.
			st.err = fmt.Sprintf("blob %d: the index does not file the hash of its content (%s) under it", id, f.hash.Short())
		case f.packed && v.packs[f.pack].all != "":
			// The checksum covers the header too: a hash read from a
			// damaged pack is not evidence against the index.
			st.err, st.content = "blob is damaged: "+v.packs[f.pack].all, true
			v.rep.DamagedBlobs[id] = f.hash
		case f.unhashed && f.packed && v.packs[f.pack].bad[id] != "":
			// Content that has no hash (not JSON): damaged, its hash
			// unknown (a format-5 pack lists none).
			st.err, st.content = "blob is damaged: "+v.packs[f.pack].bad[id], true
			v.rep.DamagedBlobs[id] = Hash{}
		case f.indexed != id:
			st.err = fmt.Sprintf("blob %d: the index does not file its hash under it", id)
		case f.packed:
			if msg := v.packs[f.pack].bad[id]; msg != "" {
				st.err, st.content = "blob is damaged: "+msg, true
				v.rep.DamagedBlobs[id] = f.hash
			}
		case v.readData:
			if err := checkBlob(f.hash, f.loose); err != nil {
				st.err, st.content = "blob is damaged: "+err.Error(), true
				v.rep.DamagedBlobs[id] = f.hash
			}
		}
		v.blobs.set(id, st)
	}
	return nil
}

// indexedIDs returns the ids the blob index files an entry under, read
// once a verify (in the transaction tx) the first time a blob of a pack of
// format 5 is checked without readData: its pack lists no hash to look
// up, so the check is that some entry names it. A group that does not
// decode adds nothing (its blobs are reported not indexed, as by a lookup).
func (v *verifier) indexedIDs(tx *bbolt.Tx) *idset.Set {
	if v.indexedSet != nil {
		return v.indexedSet
	}
	v.indexedSet = &idset.Set{}
	if b := tx.Bucket(bucketBlobGroups); b != nil {
		_ = b.ForEach(func(_, rec []byte) error {
			g, err := decodeGroup(rec)
			if err != nil {
				return nil
			}
			for i := range g.len() {
				v.indexedSet.Add(g.at(i).id)
			}
			return nil
		})
	}
	return v.indexedSet
}

// indexedLater reports whether the blob index files an entry under id,
// in a read transaction of its own (indexedIDs, read once).
func (v *verifier) indexedLater(id uint64) bool {
	found := v.db.unfiled.prefixedHas(id)
	_ = v.db.bolt.View(func(tx *bbolt.Tx) error {
		found = found || v.indexedIDs(tx).Has(id)
		return nil
	})
	return found
}
