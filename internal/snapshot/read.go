package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"
)

// Snapshots returns the committed snapshots of workspace ("" for all),
// oldest first.
func (db *DB) Snapshots(workspace string) ([]*Snapshot, error) {
	var out []*Snapshot
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSnapshots).ForEach(func(k, v []byte) error {
			s := new(Snapshot)
			if err := json.Unmarshal(v, s); err != nil {
				return fmt.Errorf("%w: snapshot record %s: %v", ErrCorrupt, k, err)
			}
			if workspace == "" || s.Workspace == workspace {
				out = append(out, s)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	sortSnapshots(out)
	return out, nil
}

// Resolve finds one snapshot of workspace ("" for all) by reference: a full
// id, a unique id prefix of at least 4 characters, "latest" or "latest~N"
// (the Nth before the latest). It returns an error wrapping ErrAmbiguous
// (listing the candidates), ErrNotFound or ErrBadRef.
func (db *DB) Resolve(workspace, ref string) (*Snapshot, error) {
	snaps, err := db.Snapshots(workspace)
	if err != nil {
		return nil, err
	}
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "latest" || strings.HasPrefix(ref, "latest~") {
		n := 0
		if rest, ok := strings.CutPrefix(ref, "latest~"); ok {
			if n, err = strconv.Atoi(rest); err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %q: want latest~N with N a number", ErrBadRef, ref)
			}
		}
		if n >= len(snaps) {
			return nil, fmt.Errorf("snapshot %s: %s has %d snapshots: %w", ref, workspaceText(workspace), len(snaps), ErrNotFound)
		}
		return snaps[len(snaps)-1-n], nil
	}
	if len(ref) < 4 {
		return nil, fmt.Errorf("%w: %q: give at least 4 characters of the id, or latest", ErrBadRef, ref)
	}
	var found []*Snapshot
	for _, s := range snaps {
		if s.ID == ref {
			return s, nil
		}
		if strings.HasPrefix(s.ID, ref) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no snapshot of %s has an id starting with %q: %w", workspaceText(workspace), ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	lines := make([]string, len(found))
	for i, s := range found {
		lines[i] = fmt.Sprintf("%s (%s, %s, %s)", s.ID, s.Workspace, formatTime(s.StartedAt), s.Status)
	}
	return nil, fmt.Errorf("%w: %q matches %d snapshots: %s", ErrAmbiguous, ref, len(found), strings.Join(lines, "; "))
}

func workspaceText(ws string) string {
	if ws == "" {
		return "any workspace"
	}
	return "workspace " + strconv.Quote(ws)
}

// Collections returns the names of the snapshot's collections, sorted.
func (db *DB) Collections(snap *Snapshot) []string { return snap.collectionNames() }

// Walk calls fn for every object of the collection, in key order, with the
// object's key and blob hash. An absent collection has no objects. fn runs
// outside any transaction; an error from fn stops the walk and is returned.
// An object whose blob is damaged in a pack of format 5 and whose hash
// nothing records is reported with UnknownHash: the walk goes on.
func (db *DB) Walk(snap *Snapshot, collection string, fn func(key string, hash Hash) error) error {
	it, err := db.collectionEntries(snap, collection)
	if err != nil {
		return err
	}
	return walkBatches(it, func(es []entry) error {
		ids := make([]uint64, len(es))
		for i, e := range es {
			ids[i] = e.id
		}
		hashes, err := db.blobHashes(ids)
		if err != nil {
			return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
		}
		for i, e := range es {
			k, err := keyText(e.key)
			if err != nil {
				return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
			}
			if err := fn(k, hashes[i]); err != nil {
				return userError{err}
			}
		}
		return nil
	}, func(err error) error {
		return fmt.Errorf("walk %s of snapshot %s: %w", collection, snap.ShortID(), err)
	})
}

// walkBatch is how many entries Walk and WalkObjects read the blobs of
// in one transaction.
const walkBatch = 64

// walkBatches calls fn with the entries of it, walkBatch at a time
// (whose blobs are read in one transaction). fn's
// errors wrapped in userError come back unwrapped, the iterator's through
// wrap.
func walkBatches(it entryIter, fn func(es []entry) error, wrap func(error) error) error {
	es := make([]entry, 0, walkBatch)
	for {
		e, ok, err := it.next()
		if err != nil {
			// The entries read before the damage are reported first,
			// with the one an overlay may return with the error.
			if ok {
				es = append(es, e)
			}
			if len(es) > 0 {
				if ferr := fn(es); ferr != nil {
					if ue, isUser := ferr.(userError); isUser {
						return ue.err
					}
					return ferr
				}
			}
			return wrap(err)
		}
		if ok {
			es = append(es, e)
		}
		if len(es) == walkBatch || (!ok && len(es) > 0) {
			if err := fn(es); err != nil {
				if ue, isUser := err.(userError); isUser {
					return ue.err
				}
				return err
			}
			es = es[:0]
		}
		if !ok {
			return nil
		}
	}
}

// Lookup returns the raw JSON of one object of a snapshot, as first received,
// and whether the collection holds the key. A blob recorded damaged, or in
// a pack that fails its checksum, is refused (ErrCorrupt), as WalkObjects
// refuses it.
func (db *DB) Lookup(snap *Snapshot, collection, key string) ([]byte, bool, error) {
	v, err := db.collectionView(snap, collection)
	if err != nil || v == nil {
		return nil, false, err
	}
	sk := sortKey(key)
	id, found := uint64(0), false
	if p, ok := patchFind(v.patch, sk); ok {
		id, found = p.id, p.id != 0
	} else {
		id, err = newTreeCursor(db, v).get(sk)
		if err != nil {
			return nil, false, fmt.Errorf("look up %s %q: %w", collection, key, err)
		}
		found = id != 0
	}
	if !found {
		return nil, false, nil
	}
	raw, err := db.blobByID(id)
	if err != nil {
		return nil, false, fmt.Errorf("look up %s %q: %w", collection, key, err)
	}
	return raw, true, nil
}

// Runs returns the runs log of workspace ("" for all), oldest first.
func (db *DB) Runs(workspace string) ([]Run, error) {
	var out []Run
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRuns).ForEach(func(k, v []byte) error {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: run record %s: %v", ErrCorrupt, k, err)
			}
			if workspace == "" || r.Workspace == workspace {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].StartedAt.Equal(out[j].StartedAt) {
			return out[i].StartedAt.Before(out[j].StartedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// loadChunk reads and decodes a chunk in one short read transaction.
func (db *DB) loadChunk(id uint64) ([]entry, error) {
	db.chunkReads.Add(1)
	b, err := db.getCopy(bucketChunks, idKey(id))
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", id, err)
	}
	es, err := decodeChunk(b)
	if err != nil {
		return nil, fmt.Errorf("chunk %d: %w", id, err)
	}
	return es, nil
}

// getCopy returns a copy of the value stored under key in bucket, or an
// error wrapping ErrCorrupt when it is missing.
func (db *DB) getCopy(bucket, key []byte) ([]byte, error) {
	var out []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bucket).Get(key))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("%w: missing", ErrCorrupt)
	}
	return out, nil
}
