package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/enspace-sync/enspace-sync/internal/durable"
	"go.etcd.io/bbolt"
)

// keyPacking is the meta key present while the upgrade (to format 3 or
// later) moves loose blobs into packs.
var keyPacking = []byte("packing")

// Format2CopySuffix names the copy of a format-1 or -2 database that the
// upgrade to format 3 keeps beside it (path + suffix): the way back to an
// older build, which refuses format 3.
const Format2CopySuffix = ".format2"

// Format3CopySuffix names the copy of a format-3 database that the
// upgrade to format 4 keeps beside it: the way back to a format-3 build.
const Format3CopySuffix = ".format3"

// Format4CopySuffix names the copy of a format-4 database that the
// upgrade to format 5 keeps beside it: the way back to a format-4 build.
const Format4CopySuffix = ".format4"

// Format5CopySuffix names the copy of a format-5 database that the
// upgrade to format 6 keeps beside it: the way back to a format-5 build,
// which would misread a patch (format 6 roots).
const Format5CopySuffix = ".format5"

// copySuffix names the copy kept of a file of format from.
func copySuffix(from int) string {
	switch from {
	case 5:
		return Format5CopySuffix
	case 4:
		return Format4CopySuffix
	case 3:
		return Format3CopySuffix
	}
	return Format2CopySuffix // format-2 builds read format 1 too
}

// packingHook, when set (tests), is called after each batch the upgrade
// commits; an error stops the upgrade there, as a crash would.
var packingHook func(batch int) error

// copiedHook, when set (tests), is called once the copy is kept, before
// the transaction that marks the file format 6; an error stops the
// upgrade there, as a crash would.
var copiedHook func() error

// upgrade brings a file of format from (1 to 5; or 6 with an upgrade
// under way) to format 6, in place, in steps that each leave a sound
// database:
//
//  1. A copy of the file as it is goes beside it (copySuffix: .format2,
//     .format3, .format4 or .format5), written under a temporary name, synced and
//     renamed, so it is whole or absent; an older build opens it.
//  2. One transaction sets the format to 6 and the packing mark, and
//     moves the blob and chunk indexes, if format-3 ones are there, into
//     groups (groupIndex.convert): from here older builds refuse the file.
//     Format 5 differs from 4 only in the packs it writes, which list no
//     hashes (packs.go); the packs already there stay as they are, and
//     are read as they are, so from format 4 this is the whole upgrade.
//     Format 6 differs from 5 only in the roots it may write (patches,
//     patch.go), so from format 5 this transaction, which only marks the
//     format, is the whole upgrade.
//  3. From format 1 or 2 only, batches of loose blobs move into packs, each batch in one
//     transaction that files the packs and deletes the loose records, so a
//     blob is in exactly one of them at every commit. Blob ids do not
//     change, so no tree, pending entry or index entry changes.
//  4. The last transaction deletes the mark.
//
// Format 6 reads loose records and packs alike, so a process killed after
// step 2 leaves a format-6 file the next read-write open finishes
// upgrading; one killed before leaves the file as it was (and at worst a
// temporary copy, which the next upgrade removes). A loose record whose
// content does not decompress, or does not hash to its address, stays
// loose, for Verify to name and a backup to heal.
func (db *DB) upgrade(from int) error {
	// A format-3 file a format-3 build left mid-way through its upgrade
	// from format 2 (the packing mark) still has loose records to pack.
	var packing bool
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		packing = tx.Bucket(bucketMeta).Get(keyPacking) != nil
		return nil
	}); err != nil {
		return err
	}
	if from < FormatVersion {
		keep := db.path + copySuffix(from)
		if err := db.keepCopy(keep); err != nil {
			return fmt.Errorf("keep a copy of the format-%d file: %w", from, err)
		}
		if copiedHook != nil {
			if err := copiedHook(); err != nil {
				return err
			}
		}
		err := db.update(func(tx *bbolt.Tx) error {
			if from < 4 {
				if _, err := tx.CreateBucketIfNotExists(bucketPacks); err != nil {
					return err
				}
				if err := blobIndex.convert(tx); err != nil {
					return fmt.Errorf("blob index: %w", err)
				}
				if _, err := tx.CreateBucketIfNotExists(bucketBlobGroups); err != nil {
					return err
				}
				if err := chunkIndex.convert(tx); err != nil {
					return fmt.Errorf("chunk index: %w", err)
				}
				if _, err := tx.CreateBucketIfNotExists(bucketChunkGroups); err != nil {
					return err
				}
			}
			meta := tx.Bucket(bucketMeta)
			if from < 3 {
				if err := meta.Put(keyPacking, []byte(strconv.Itoa(from))); err != nil {
					return err
				}
			}
			return meta.Put(keyFormat, []byte(strconv.Itoa(FormatVersion)))
		})
		if err != nil {
			return err
		}
		db.log.Info("upgrading the database to format 6 (collections patched over full trees; from older formats: blobs in packs without hashes, grouped blob and chunk indexes)", "from", from, "copy", keep)
		if from >= 3 && !packing {
			// Its loose records (blobs stored afresh after damage) stay
			// loose: a pack filed under one of their ids would split the
			// id range of the pack that holds its neighbours.
			db.log.Info("database upgraded to format 6")
			return nil
		}
	}
	// Index entries still waiting are filed first, so no pack mixes
	// filed and waiting blobs (unfiledReady copes, but need not).
	if err := db.fileBlobs(nil); err != nil {
		return err
	}
	moved, err := db.packLoose()
	if err != nil {
		return err
	}
	if err := db.update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyPacking) }); err != nil {
		return err
	}
	db.log.Info("database upgraded to format 6; `db compact` gives the space freed back to the file system",
		"blobs_packed", moved)
	return nil
}

// keepCopy writes a hot copy of the database to path: to a temporary file
// beside it, synced, then renamed over path.
func (db *DB) keepCopy(path string) error {
	// A copy a killed upgrade left half written.
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), filepath.Base(path)+".tmp-*"))
	for _, f := range stale {
		_ = os.Remove(f)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := db.WriteTo(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	return durable.SyncDir(filepath.Dir(path))
}

// packLoose moves the loose blob records into packs, a batch per
// transaction, and returns how many it moved.
func (db *DB) packLoose() (int, error) {
	moved := 0
	var from []byte
	for batchNo := 1; ; batchNo++ {
		var ids []uint64
		var batch []pending
		var next []byte
		size := 0
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucketBlobs).Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil; k, v = c.Next() {
				if len(batch) >= db.opts.BatchObjects || size >= db.opts.BatchBytes {
					next = bytes.Clone(k)
					return nil
				}
				id, ok := idFromKey(k)
				h, frame, err := decodeBlob(v)
				if !ok || err != nil {
					continue // Verify names it
				}
				ids = append(ids, id)
				batch = append(batch, pending{hash: h, raw: bytes.Clone(frame)})
				size += 2 * len(frame)
			}
			return nil
		})
		if err != nil {
			return moved, err
		}
		// Decompressed and hashed outside the transaction; a record that
		// does not decompress, or whose content does not hash to its
		// address, stays loose, for Verify to name and a backup to heal:
		// packed, it would be sealed under a sound pack checksum that
		// backups trust without comparing.
		kept := 0
		for i := range batch {
			raw, err := decompress(batch[i].raw)
			if err != nil {
				continue
			}
			if h, err := ContentHash(raw); err != nil || h != batch[i].hash {
				continue
			}
			batch[kept], ids[kept] = pending{hash: batch[i].hash, raw: raw}, ids[i]
			kept++
		}
		batch, ids = batch[:kept], ids[:kept]
		if len(batch) > 0 {
			idx := make([]int, len(batch))
			for i := range idx {
				idx[i] = i
			}
			drafts := draftPacks(batch, idx)
			if err := compressDrafts(batch, drafts, runtime.GOMAXPROCS(0), nil); err != nil {
				return moved, err
			}
			err := db.update(func(tx *bbolt.Tx) error {
				loose, packs := tx.Bucket(bucketBlobs), tx.Bucket(bucketPacks)
				packs.FillPercent = appendFill
				for _, d := range drafts {
					pids := make([]uint64, len(d.members))
					for j, i := range d.members {
						pids[j] = ids[i]
					}
					if err := packs.Put(idKey(pids[0]), encodePack(pids, d.lens, d.frame)); err != nil {
						return err
					}
					for _, id := range pids {
						if err := loose.Delete(idKey(id)); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return moved, err
			}
			moved += len(batch)
			if packingHook != nil {
				if err := packingHook(batchNo); err != nil {
					return moved, err
				}
			}
		}
		if next == nil {
			return moved, nil
		}
		from = next
	}
}
