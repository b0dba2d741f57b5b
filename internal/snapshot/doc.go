// Package snapshot is the bbolt store of enspace-sync: content-addressed
// blobs, collections stored as trees of content-addressed chunks, snapshot
// records, the runs log, retention, prune and verify. It knows bbolt and
// nothing of HTTP.
//
// # Model
//
// A blob is one resource's JSON. Its address is the SHA-256 of its canonical
// JSON (see [jsonv.Canonical]); what is stored is the zstd-compressed raw bytes as
// first received, so an object can be shown exactly as the API returned it.
// Identical content is stored once across all snapshots and workspaces.
//
// Blobs and chunks are filed under small permanent ids (their bucket's
// sequence: never zero, never reused, not even after a prune), and an index
// bucket maps each content hash to its id, so the same content always gets
// the id it got first. A blob record holds its hash, which Walk and
// DiffCollection report and Verify re-checks the content against. Tree nodes
// name blobs and chunks by id, a byte or two, not by 32-byte hash; this is
// what keeps a changed object's share of its chunk small.
//
// A collection is the objects of one kind under one parent in one snapshot
// ("types", "items/contracts", "stages/4"): a sorted map of object key to blob.
// Keys that look like numbers (decimal digits, no leading zero) sort
// numerically and before every other key; other keys sort bytewise. A
// collection is stored as a tree: its entries are cut into chunks at
// content-defined boundaries (after an entry whose key hashes to a value
// with its low 4 bits zero, so about 16 entries a chunk, and at most 64),
// and each chunk is stored once (found by its hash through the index).
// When a collection has more than 64 chunks, their lines (first key, id and
// entry count) are grouped into index nodes the same way (a node ends after
// a line whose first key, hashed with the level, has its low 4 bits zero,
// once it holds two lines; at most 64 lines), and those nodes into nodes of
// the next level, until one level has at most 64 lines: that list is the
// root, stored under its hash. Index nodes live in the chunks bucket, with
// ids and hash index entries like chunks, and lead with another format
// byte (2; chunks lead with 1). Chunk entries are the key, prefix-compressed,
// and the blob id as a difference from the previous entry's, about 4 bytes
// an entry. An unchanged collection costs nothing in the next snapshot
// (same ids, same chunks, same root); a changed object costs its blob, one
// chunk, one index node per level and a small root (some 1.8 KB in all at
// 100,000 objects); [DB.DiffCollection] walks both trees down a level at a
// time, skipping the subtrees they share, and compares entries by blob id.
// A collection with no objects is not stored: empty and absent are the
// same thing in a snapshot.
//
// A snapshot's added_bytes is the size (keys and values) of every record it
// added: blob records and their index entries, chunks and index nodes and
// theirs, roots, and the snapshot and run records themselves. It leaves out
// bbolt's page overhead and the run's pending entries, which its commit
// deletes.
//
// A snapshot becomes visible only with its record, written in the last
// transaction of [Writer.Commit], the same one that deletes the run's pending
// entries. Every run is logged in the runs bucket, so aborted and failed runs
// show in history but never as snapshots.
//
// # Damage
//
// Deduplication never reuses a damaged blob. When a Put's content is
// already stored, the batch write copies the stored record out in its read
// transaction and, outside it, decompresses it and compares it with the
// bytes just fetched (damagedCopies); a copy kept in another raw form of
// the same content is hashed instead. A copy that differs, does not
// decompress, holds another hash or is missing is overwritten with the
// fresh bytes under the same id, in the batch's own write transaction:
// because the id's address is the hash of the original content and tree
// nodes name blobs by id, that one write heals every snapshot, old and
// new, that refers to the blob. The run's snapshot lists those objects
// (Snapshot.Healed). One case is not healed but refused: a record that
// holds another hash and is sound in itself (its content hashes to that
// hash) means the index entry is wrong, and overwriting would damage that
// other blob; the batch fails with ErrCorrupt.
//
// [DB.Verify] with readData tells a blob whose record and index entry are
// sound but whose bytes do not decompress or hash to its address
// (Problem.Content, VerifyReport.DamagedBlobs) from structural damage
// (anything else: a missing or undecodable record, root, chunk or index
// entry). [DB.RecordCheck], called by a read-write check (verify --repair,
// the daemon's check at start) and by [DB.Scrub] (the daemon's scheduled
// read-back, paced to a bandwidth), files damaged blobs in the damaged
// bucket (blob id -> hash) and records the check's outcome in meta
// (last-check: time, structural problems, damaged blobs; a scrub also
// last-scrub); read-only verify only reports. The index entries of damaged
// blobs are kept: a Put of such content is stored afresh without being
// compared, and takes the id out of the damaged set. Prune drops the
// damaged entries of the blobs it removes. A blob whose object is gone
// from the server stays damaged until its snapshots are forgotten; damage
// to a chunk, an index node or a root is structural and no backup heals
// it (the next backup finds the chunk by its hash and reuses it).
//
// The comparison is the price of never reusing a damaged copy: a read of
// the record, a zstd decompression and a bytes.Equal per reused object,
// about 2 µs. BenchmarkPutUnchanged (100,000 unchanged objects) measured
// 258-263 ms before and 466-580 ms after on the shared 2-core test
// machine, in alternate runs; BenchmarkCompareStored, the comparison alone,
// 328-342 ms (re-hashing the canonical JSON as well, as
// BenchmarkRecheckStored does, would add about half again). So an
// unchanged object costs about twice the CPU it did. In a backup, batches
// are written on a goroutine of their own while the next ones are fetched,
// with one goroutine comparing, so the cost hides behind the API's latency
// unless the CPU is the bottleneck. A checksum of the compressed bytes in
// the blob record (a format change) would cut the check to a read and a
// CRC.
//
// # bbolt rules
//
// This package follows these rules, and changes to it must keep them:
//
//   - Open with a timeout (Options.Timeout, one second by default) so a held
//     lock is reported, naming its holder, and never hangs.
//   - Only Update and View closures; never a manual Begin.
//   - Copy every byte slice out of a transaction before it ends: bbolt's
//     slices point into the memory map and die with the transaction.
//   - No network and no slow callbacks inside a transaction: callbacks such as
//     the function given to Walk or DiffCollection, and Verify's progress,
//     run between transactions, after the chunk they concern was copied out.
//   - Short read transactions: one chunk, one root or one batch of keys each.
//   - Batched writes: Put buffers objects and writes them one transaction per
//     Options.BatchObjects (5,000 by default; the program sets 2,000) or
//     4 MiB; tree building and pruning are batched the same
//     way. Blob and chunk records get ids in order and are appended at the
//     end of their buckets (pages filled to 95%, not split in halves). Their
//     hashes are random, so any write to a hash index touches pages all
//     over it: a new blob's index entry waits (Options.UnfiledBlobs, 65,536
//     by default; the blob records above a watermark, read back on open)
//     and waiting entries are filed together, sorted, in transactions that
//     each span a slice of the hash range and write at most 8,192 entries
//     (one transaction of 65,536 into a young index grew one bbolt node to
//     all of them: 8% of a first backup's CPU; paired runs of cmd/bench
//     -backup-only: 7% less backup CPU with the cap), so each index page is rewritten
//     about once per filing instead of once per batch, and a commit does
//     not wait for them (unfiled.go; format 2). A 1,000,000-item first
//     backup went from 43.1 s to 30.3 s and its peak heap from 189 to
//     117 MB. Chunk index entries are few and are filed with their chunks.
//   - Hot copies with tx.WriteTo ([DB.WriteTo]).
//   - fsync on (bbolt's default, NoSync false) and the freelist synced
//     (NoFreelistSync false), so a crash never needs a freelist rebuild. The
//     in-memory freelist is bbolt's hash map type, which stays fast as
//     random blob addresses fragment the file.
//
// # Caveats
//
// Only one process opens the file read-write at a time (bbolt's file lock);
// read-only opens share the lock between themselves but not with a writer.
//
// Prune keeps the referenced ids in bitsets (a bit for every id ever given:
// 125 KB a million blobs). Verify keeps the sound blobs it checked in an
// idset.Set (under a byte each; a map of their states before) and a map
// entry per chunk and per damaged blob: at 1,000,002 items its peak
// anonymous memory went from 244 to 14-17 MiB, `verify --read-data` 14
// MiB (cmd/bench and /proc sampling, 2 shared cores).
//
// The database is mapped with 1 GiB of address space from the start
// (InitialMmapSize; not memory: only the pages read count in the resident
// set), so a growing file is not re-mapped every time it doubles: each
// re-map waited for every reader and copied the write's nodes to the heap
// (500,000 allocations of a 100,000-item first backup, 6%).
//
// ContentHash canonicalises into a pooled buffer (jsonv.AppendCanonical)
// and hashes an object that is already canonical (jsonv.IsCanonical) as it
// is: a new buffer per object was a fifth of a backup's allocations.
//
// Index nodes cost little at small change rates but a little more at high
// ones: at 1% of objects changed most level-1 nodes change too, adding a
// few percent (4% at 100,000 objects) to the snapshot's growth over a
// single flat root. Walk reads
// every index node of the collection before its first chunk.
//
// bbolt never shrinks its file: Prune frees pages for reuse inside the file,
// and only a compaction (a copy into a new file) gives the space back.
//
// Two raw forms with the same canonical JSON share one blob: the bytes kept
// are those received first. Invalid UTF-8 inside JSON strings is replaced by
// U+FFFD for the address (the raw bytes are kept as received).
//
// Abort, and a read-write Open that recovered interrupted runs, reclaim the
// dead run's data with a full Prune: its cost follows the database's size,
// not the run's.
//
// A Writer that meets a write error stops accepting objects: the run must be
// aborted (or, if the process dies, it is recovered as aborted by the next
// read-write Open).
package snapshot
