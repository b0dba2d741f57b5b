// Package snapshot is the bbolt store of enspace-sync: content-addressed
// blobs, collections stored as trees of content-addressed chunks, snapshot
// records, the runs log, retention, prune and verify. It knows bbolt and
// nothing of HTTP.
//
// # Model
//
// A blob is one resource's JSON. Its address is the SHA-256 of its canonical
// JSON (see [jsonv.Canonical]); what is stored is the raw bytes as first
// received, zstd-compressed together with the other new blobs of the same
// batch in a pack (see # Packs), so an object can be shown exactly as the
// API returned it. Identical content is stored once across all snapshots
// and workspaces.
//
// Blobs and chunks are filed under small permanent ids (their bucket's
// sequence: never zero, never reused, not even after a prune), and an index
// maps each content hash to its id, so the same content always gets
// the id it got first. The blob index keeps only the first 6 bytes of
// the hash (format 4, see # Blob index); since format 5 a pack lists no
// hashes (see # Format 5): Walk and DiffCollection report the hash of
// each blob's content, and Verify checks it against the index. Tree nodes
// name blobs and chunks by id, a byte or two, not by 32-byte hash; this is
// what keeps a changed object's share of its chunk small.
//
// A collection is the objects of one kind under one parent in one snapshot
// ("types", "items/contracts", "stages/4"): a sorted map of object key to blob.
// Keys that look like numbers (decimal digits, no leading zero) sort
// numerically and before every other key; other keys sort bytewise. A
// collection is stored as a tree: its entries are cut into chunks at
// content-defined boundaries (after an entry whose key hashes to a value
// with its low 6 bits zero, so about 64 entries a chunk, and at most 256;
// 16 and 64 up to format 5, see # Trees),
// and each chunk is stored once (found through the chunk index, by a
// prefix of its hash checked against its bytes).
// When a collection has more than 64 chunks, their lines (first key, id and
// entry count) are grouped into index nodes the same way (a node ends after
// a line whose first key, hashed with the level, has its low 4 bits zero,
// once it holds two lines; at most 64 lines), and those nodes into nodes of
// the next level, until one level has at most 64 lines: that list is the
// root, stored under its hash. Index nodes live in the chunks bucket, with
// ids and hash index entries like chunks, and lead with another format
// byte (4; chunks lead with 3; see # Trees for formats 1 and 2). Chunk
// entries are the key and the blob id as a difference from the previous
// entry's: a numeric key as its difference from the previous one, any
// other prefix-compressed; about 2.3 bytes an entry on the storage
// benchmark. An unchanged collection costs nothing in the next snapshot
// (same ids, same chunks, same root). Since format 6 a collection that
// changed little since the latest snapshot is stored as a patch over
// that snapshot's full tree (# Trees): a changed object costs its blob
// and a few bytes in each patch until the next full tree. In a full tree
// it costs its blob, one chunk, one index node per level and a small
// root; [DB.DiffCollection] walks both trees down a level at a
// time, skipping the subtrees they share, and compares entries by blob id.
// A collection with no objects is not stored: empty and absent are the
// same thing in a snapshot.
//
// A snapshot's added_bytes is the size (keys and values) of every record it
// added: blob records and their index entries, chunks and index nodes and
// theirs, roots, and the snapshot and run records themselves. It leaves out
// bbolt's page overhead, the keys and headers of the blob index's groups
// (blobindex.go), the run's pending entries, which its commit deletes, and
// the hashes of its blobs whose index entries wait (unfiled.go), which
// the filing of those entries deletes.
//
// A snapshot becomes visible only with its record, written in the last
// transaction of [Writer.Commit], the same one that deletes the run's pending
// entries. Every run is logged in the runs bucket, so aborted and failed runs
// show in history but never as snapshots.
//
// # Packs
//
// Database format 3 (packs.go). Up to format 2 each blob was its own zstd
// frame in its own record: about 360 bytes of JSON compressed 1.45x, and
// zstd's set-up for each frame cost 18% of a backup's CPU. Now a batch's
// new blobs are cut, in order, into packs of about 128 KiB of raw JSON,
// each compressed as one frame by one shared encoder (zstd's fastest
// level) and filed under its first blob id with a header listing each
// blob's id, length and hash, and a CRC-32C of the record (format 4
// writes only the first id of a pack whose ids are consecutive, as a
// backup's are; packs of format-3 builds stay as they are). Blob ids are
// given in order, so packs cover disjoint id ranges: the pack that may
// hold id is the last one filed at or below it (a cursor Seek and Prev).
// Reading one blob decompresses its pack, not more; a decoded-pack cache
// (packcache.go, 4 MiB, least recently used out) lets sequential readers
// (WalkObjects: export, restore, diff of many objects) decompress each
// pack once. Blob ids, hashes, tree chunks and every public method are
// unchanged. Export of a 100,000-item snapshot (cmd/bench -export-only,
// alternate runs at load 7) took 0.74-0.95 s to a directory against
// 1.25-1.32 s from format 2, and .tar.gz 1.52-1.66x `tar czf` against
// 1.92-2.14x; on an idle machine (load 0.3-0.7, 5 rounds) 0.40 s to a
// directory and .tar.gz 0.85x (0.82-1.09x) `tar czf`.
//
// Pack sizes measured with BenchmarkPackSize (the 100,000 synthetic
// objects of BenchmarkPut, very repetitive: 12-15 bytes of compressed
// JSON an object, so the 32-byte hash dominates) on the shared 2-core
// machine at load 8-9; "allocated" counts bbolt's pages, large records
// taking whole 4 KiB overflow pages:
//
//	raw pack  | pack bytes/object | allocated bytes/object
//	4 KiB     | 69.7              | 84.5
//	16 KiB    | 52.2              | 86.8
//	32 KiB    | 48.6              | 65.5
//	64 KiB    | 47.1              | 54.5
//	128 KiB   | 45.6              | 49.2
//	256 KiB   | 43.9              | 45.2
//
// zstd's fastest and default levels gave the same sizes within 1.5% on
// these objects, and on the fake API's (cmd/bench -storage-only, the
// database on disk after 10 days): fastest 20.3 MiB (3 runs), default
// 20.4 MiB (20.3-20.5, 3 runs), better-compression 20.0 MiB (1 run). The compressed JSON's share of the file is small next to the
// hashes and the index, so the fastest level is kept: BenchmarkPackSize at
// 128 KiB took 2.85-3.0 s of process CPU at fastest, 3.0-3.4 s at
// default. 128 KiB is where the page rounding has mostly gone while one
// object's read still decompresses well under a millisecond; beyond it
// the gain is a few percent. The encoder's window is twice packTarget
// (256 KiB), not zstd's default: every pack but a huge blob's own fits it,
// so the frames are no larger (TestPackWindowSameFrames), and the
// encoders' history buffers went from 16 MiB of a backup's heap to 2 MiB.
// A frame is compressed into the buffer of its pack's record, behind room
// for the header, so a pack is neither allocated twice nor copied; a
// Writer keeps the buffers, once the transaction that stored the records
// is over, for the next batch's packs (made afresh, they were 15% of a
// first backup's allocation). A pack's objects that lie side by side in
// memory, as a backup's do in the chunks PutCopy copies them into, are
// compressed where they are, not copied together first. No
// dictionary: within a pack, the objects
// before are the dictionary.
//
// A pack is one zstd block. At the fastest level klauspost/compress cuts
// frames into blocks of 64 KiB, unless the window is set before the
// level, which keeps zstd's largest block, 128 KiB (newPackEncoder); and
// draftPacks closes a pack before the blob that would take it past
// packTarget, where it used to close it after, so that a pack of 128 KiB
// and one more object was two full blocks and a small third one. A
// single block is compressed without the copy into the encoder's
// history, whose 1 MiB buffer per encoder (2.4 MiB of a backup's heap) is
// then never made. On packs of the fake API's items (18 packs, ten runs
// each way) closing before took 23% less time and 0.3% fewer bytes, and
// one block instead of two 27-38% less time for 0.12% more bytes. On the
// storage benchmark (one run each, load 5-7) the file took 6.54 MiB on
// disk before (0.189 times restic's repository), 6.64 MiB with the first
// change (0.192) and 6.58 MiB with both (0.190): within the 0.188-0.192
// that runs of one build span. With the listing's fixed fetching
// goroutines (internal/api), 20 alternated first backups of 100,002
// items (the child's rusage, the same fake, load 6.5-10) took a median
// of 0.917 CPU-s against 0.983 (6.7% less; means 0.933 against 0.993),
// the same wall time (3.41 s against 3.42 s) and 8,817 minor page faults
// against 9,411.
//
// Tried again with format 4 on the storage benchmark (one run each,
// bbolt's per-bucket figures of the last file, load 4-10): packs of 1 MiB
// took 8.96 MB of pages against 9.24 MB at 128 KiB (the same 8.68 MB in
// use: the program's batches of 2,000 objects, some 700 KB of JSON, close
// the packs first; what went is overflow-page rounding), zstd's default
// level at 1 MiB 8.79 MB, at 512 KiB 9.02 MB. One object's read by hash
// (BenchmarkBlobRead, the cache empty) took 59 µs at 128 KiB, 0.37 ms at
// 512 KiB, 0.38 ms at 1 MiB. But export slowed: with 1 MiB packs (and a
// 16 MiB cache, so they fit) .tar.gz took 1.97x `tar czf` against 1.06x,
// and 3.1x against 2.8x, in paired runs (cmd/bench -export-only, 3
// rounds, load 7-10), for 0.3 MiB of the 17.7 MiB file: 128 KiB and the
// fastest level are kept. Of the packs' 8.68 MB in use, 3.75 MB are the
// 117,000 blob versions' hashes, 0.35 MB ids and lengths, 4.5 MB
// compressed JSON (38 bytes a version in full packs, 42 in the small
// packs of the daily runs): the JSON is near the one-stream floor (3.91
// MiB for everything), the hashes are what stands above it.
//
// A batch closes its last pack, so a daily run, whose 5,000-object
// batches hold some fifty new objects each at 1% churn, left a pack of
// about 2.8 KB a batch: compressed apart (56 bytes an object version
// against 41 in full packs) and two to a bbolt node of two pages. A
// commit now merges the small packs (under half of packTarget raw) the
// run stored, adjacent ones into packs of up to packTarget, after its last
// batch (packs_merge.go): same ids, filed under the first one's key, so no
// tree or index entry changes; a pack that fails its checksum, does not
// decompress or holds a blob that is not JSON stays as it is and splits
// the run. Other runs' packs are left alone: their bytes count in their
// own snapshots, and the packs of a run that then aborts are deleted
// whole by the prune after it. On the
// storage benchmark (one run each, idle machine) the packs went from 470
// records in 5.25 MB of pages to 325 in 4.97 MB, the file from 8.48 to
// 8.20 MiB; a commit decompresses and compresses again only the small
// packs (a daily run's new objects: some 360 KB raw here). Tried
// and left: packs of 256 KiB took 8.22 MiB but an export to a directory
// 0.48-0.84 s against 0.37-0.51 s (3 pairs, load 2.5-2.8); bbolt pages
// of 1 KiB took 7.95 MiB, but put both meta pages in one 4 KiB disk
// sector, which a torn write could then lose together.
//
// On the storage benchmark (cmd/bench -storage-only: 100,000 items of the
// fake API, 10 days at 1% churn, the database's blocks on disk), format
// 2 took 54.2 MiB; format 3 took 26.3 MiB with 64 KiB packs, 22.8 MiB
// with 128 KiB packs and the first filing of the blob index into full
// pages, and 20.4 MiB (20.3-20.5, 3 runs) with a run's pending entries
// appended into 95% pages as well. The filing: bbolt's FillPercent 1.0
// when a filing held at least as many entries as the index (its sorted
// entries then made most pages); pages split at half had left the index
// half empty, 6.8 MB of pages for 2.3 MB of entries, then 3.4 MB (format
// 4 groups it: 0.84 MB, # Blob index). Into a
// larger index bbolt's half was kept: with few entries landing on each
// page, full pages split into a full one and an almost empty one at each
// filing (tried on the chunk index, filed a commit at a time: 3.5 MB of
// pages for 1.0 MB in use, against 1.4 MB at half). restic fed the same daily
// export takes 34.6 MiB, and the one-stream floor (every distinct version
// in one zstd stream) 3.91 MiB. Of the last file, the packs take 9.3 MB
// (85 bytes an object version: 32 of hash, 3 of id and length, the rest
// compressed JSON), the blob index 3.4 MB (format 3), chunks and their index 4.3
// MB, and free pages the rest (4.3 MB), in the main the first run's
// pending entries, which its commit deletes (filling their pages to 95%
// took 2.4 MiB off; see # Trees for what followed). See # Caveats for
// what stands between this and the floor.
//
// A read-write open upgrades a format-1 to -5 file in place
// (upgrade.go): it first keeps a copy of the file beside it (path +
// ".format2" for formats 1 and 2, ".format3" for 3, ".format4" for 4,
// ".format5" for 5; synced and renamed, so whole or absent), then, in one
// transaction, marks the file format 6 (older builds refuse it from here:
// "database format 6 is newer than this build understands") and, from
// format 3 or older, moves the blob and chunk indexes into groups (# Blob
// index, # Trees). From format 5 that transaction is the whole upgrade
// (format 6 adds patches, which a format-5 build would misread as
// damaged roots, and chunks of up to 256 entries, which it would refuse;
// TestFormat5UpgradesTo6). From format 4 it is too: packs
// already written stay as they are (listing their hashes) and are read as
// they are; new ones list none (# Format 5). From format 1 or 2 it then moves the loose records into
// packs a batch per transaction, each batch filing its packs and
// deleting its records together. Every commit leaves a sound format-5
// file, since format 5 reads both, so a process killed midway leaves a
// file the next read-write open finishes upgrading (TestUpgradeKilled
// kills one; TestFormat4UpgradeKilled stops one from format 4 after its
// copy is kept); the index's move is one transaction, done or not. A
// read-only open reads a file of an older format as it is, its blob
// and chunk indexes too. To go back to an older build, put the copy in the
// database's place: snapshots taken since the upgrade are lost with it.
// The space the loose records and the old index took is free inside the
// file: `db compact` gives it back.
//
// # Blob index
//
// Format 4 (blobindex.go). Up to format 3 the blob index was a bucket
// keyed by the full 32-byte hash: with bbolt's 16-byte element header and
// the id, 51 bytes an entry, in pages half full under random inserts,
// while the pack listed the same hash. Now an entry is the hash's first
// 6 bytes and the id (3 bytes, up to 8 for ids past 2^24), fixed width,
// sorted, in groups of up to 4,096 entries, each group one record keyed
// by its first prefix: about 9 bytes an entry. A lookup seeks the group
// and binary-searches it; its caller checks the blob's record: the hash
// a loose record or a pack of format 3 or 4 lists, or (format 5) the
// blob's content, compared with the bytes about to be stored or hashed. A blob whose hash has another prefix than the entry's means
// a wrong index entry (ErrCorrupt, as before); one with the same prefix
// and another hash is a prefix collision (one chance in 2^48 a pair of
// blobs, about one in 500 that a million blobs hold one;
// TestBlobIndexPrefixCollision makes one by editing a format-4 pack's
// listed hash; TestFormat5SharedPrefix files two format-5 blobs under one
// prefix): the
// content is new, and its entry joins the other under the same prefix,
// where lookups try each. Deduplication takes an id only when a record
// shows it is this content's: the pack's or loose record's hash, the
// content of a pack of format 5, or the hash a repair recorded for a
// damaged blob (for the blob of a damaged format-5 pack, see # Format 5). Otherwise, when the other
// blob's pack fails its checksum, its header does not decode, or a
// reference by hash alone (PutHashed without bytes) finds no record that
// confirms it, healing the id with this content could overwrite another
// blob: the content is stored anew instead (a reference by hash alone is
// refused, ErrInvalid). So damage that falls on a blob's listed hash, or
// on its pack's header, leaves that blob unhealed in the snapshots that
// hold it, the price of never healing the wrong blob. A
// filing rewrites the groups its
// entries land in, splitting those that pass 4,096 entries into groups
// of at most 3,072; a filing transaction still covers one slice of the
// hash range (unfiled.go). Large groups keep bbolt's rounding to whole
// 4 KiB overflow pages to about half a page a group. A group record
// carries a CRC-32C. Lookups do not check it (every hit is checked
// against the record it names, so a damaged entry costs a second check,
// never a wrong answer); Verify does, and so do filing and prune before
// they merge a group's entries and write them back: a group that fails
// its checksum, is out of order, or holds prefixes outside its key's
// range is rebuilt from the packs' headers and the loose records rather
// than filed again where no lookup would find its entries
// (TestIndexGroupDamageStaysPut). A group record that does not decode
// finds nothing (Verify names it and its blobs as not indexed, and
// backups store their content again) until the next filing or prune
// rebuilds it (TestBlobIndexDamagedGroupRebuilt): one damaged record
// stops neither.
//
// On the storage benchmark (cmd/bench -storage-only, 10 days, 3 runs at
// load 8-11) the blob index went from 3.42 MB of pages for 66,000
// entries to 0.64 MB (24 groups; 0.84 MB with 8-byte prefixes and 4-byte
// ids), and the database on disk from 20.3 MiB to 17.7 MiB (17.7-17.8);
// with packs listing only the first of consecutive ids, 17.4 MiB
// (17.4-17.5, 3 runs at load 6-9): 0.50x restic's repository, 4.46x the
// one-stream floor. Of the last file: packs 8.99 MB of pages (8.55 MB in
// use), blob index 0.64 MB, chunks and their index 4.3 MB, free pages
// about 4.3 MB. Deduplication
// did not slow: BenchmarkPutUnchanged (100,000 stored objects put again)
// took 0.87-0.91 s against 0.91-1.19 s before, and a first backup's CPU
// (cmd/bench -backup-only -memory-items 0, three paired rounds of 3
// runs, load 7-9) 1.42-1.63 s against 1.47-1.50 s.
//
// # Format 5
//
// Packs list no hashes (packs.go): a blob's hash is the SHA-256 of its
// content's canonical JSON, so it is computed where it is needed, from
// the bytes. On the storage benchmark (cmd/bench -storage-only, 100,000
// items, 10 days at 1% churn, one run each, load 9-17) the database on
// disk went from 11.7 MiB to 8.74 MiB: 0.253x restic's repository (34.6
// MiB) and 2.24x the one-stream floor (3.91 MiB); the packs from 9.0 MB
// of pages to 5.51 MB (4.80 MB in use). Where each use of the hash went:
//
//   - Deduplication (flush.go): an index hit is this content's when the
//     stored bytes are the bytes about to be stored (the common case: an
//     unchanged object comes back as it was), else when the stored bytes'
//     canonical JSON hashes to this hash (another raw form of the same
//     content; TestDedupOtherRawForm). The stored bytes come from the
//     decoded-pack cache (packcache.go; a backup meets the packs in
//     order), so each pack a run reuses is decompressed about once.
//     The pack's CRC-32C is still checked once a run, as before.
//   - A prefix shared by several blobs: each candidate's content is
//     hashed until one matches (TestFormat5SharedPrefix).
//   - Walk, DiffCollection and Blob report the hash of the content
//     (blobHashes, through the decoded-pack cache; each blob is hashed as
//     it is read, so a batch keeps no decompressed pack alive). A blob
//     whose pack does not decompress, or whose content is not JSON, has
//     the hash a check recorded in the damaged set, else UnknownHash (all
//     bytes 0xff): one damaged pack no longer stops a walk or a diff
//     (TestWalkDiffDamagedPackFormat5). Blob refuses UnknownHash
//     (ErrCorrupt); offsite push stops on such an object naming it
//     (ErrLocalCorrupt) before uploading anything of it, and diff names it
//     as damaged, never as changed. WalkObjects and Lookup (restore plans,
//     export) compute no hash and compare none: they refuse a blob
//     recorded damaged, or in a pack that fails its checksum (once a pack
//     and batch), ErrCorrupt (TestWalkObjectsRefusesDamage); a loose
//     record has no checksum and is taken as it reads, as Blob takes it.
//     A reader of the decoded-pack cache finds a blob by its id, not by the index in the record it located
//     (TestLocatorRawChecksCachedIndex), and reuses the cached pack's
//     header instead of decoding it again for each blob (Blob). The
//     content hashes blobHashes computes are kept in a per-DB cache
//     (hashCache, at most 65,536 entries, some 4 MB; emptied when full),
//     keyed by the blob's id and its pack's key and checksum, so a pack
//     rewritten since (a heal, a prune) never serves an old hash
//     (TestWalkHashCache): walks and diffs of snapshots that share
//     objects (offsite push of several snapshots, restore plans, diffs)
//     hash each blob once. A cold walk still canonicalizes and hashes
//     every object (API objects are rarely canonical: keys unsorted).
//     TestContentHashGolden pins the hashes of a few objects: a
//     canonicalizer change must not move the addresses.
//   - Verify with data hashes each blob's content and checks that the
//     blob index files that hash's prefix under the blob's id (or that it
//     waits): content written over together with its pack's checksum,
//     which format 4 missed when the listed hash was left alone, is
//     named as content damage when the index files the id under another
//     prefix, and deduplication refuses to take the id for the original
//     content (ErrCorrupt, as for a wrong index entry) until a check
//     recorded it; the next backup then heals it (TestForgedContentFound).
//     Verify without data cannot hash: for a blob of a format-5 pack it
//     checks that the index files some entry under its id (one scan of
//     the index a verify, into an idset.Set), or that its entry waits
//     (above the watermark); the hash's own prefix is checked with data.
//   - Damage. A blob whose pack fails its checksum or does not
//     decompress no longer shows its hash. Deduplication then takes the
//     id for the content being stored when the blob index files that
//     content's prefix under this id alone and the pack's header lists
//     the same raw length for it (unreadableMatch), and heals it as
//     before (TestDamagedBlobHealsOnPut, TestScrubFindsAndNextRunHeals).
//     A blob that still reads in a pack failing its checksum is not
//     taken when its content hashes to another hash of the same prefix
//     (a collision) or to a hash filed under its id (it is intact under
//     its own entry): the new content is stored afresh
//     (TestHealRefusesReadableBlobOfAnotherHash). The cost left: content
//     of another blob whose hash shares the damaged blob's 48-bit prefix
//     and whose raw length is the same would be stored under an
//     unreadable damaged id and shown in its old snapshots (about one
//     chance in 2^48 for each new content, where format 4 compared 256
//     bits). Verify and the damaged set record such a blob's hash as
//     unknown (the zero Hash).
//   - Waiting index entries (unfiled.go): they were read back on open
//     from the hashes the packs listed. Now a batch's transaction also
//     files its new blobs' 6-byte prefixes (bucketWaitPrefixes, 6 bytes a
//     blob, deleted by the filing that files them: 0.38 MB of the
//     benchmark's last file, whose last 50,000 entries wait), and on open
//     the waiting entries come back from them as prefix entries
//     (unfiled.prefixed), candidates a lookup checks against the blob's
//     record as it checks the index's: the index's candidates and the
//     waiting prefixes' together, each checked when there is more than
//     one, so a filed entry of the same prefix never hides a waiting one
//     (TestWaitingPrefixNotHiddenByFiledEntry). Hashing the waiting blobs' content
//     on open instead (up to 65,536 of them) made a one-item restore plan
//     take 0.18 s of CPU against 0.085 s, and `verify` 0.98 s against 0.64
//     s, on 100,000 items (cmd/bench -memory-items 100000, load 10-13). A
//     blob whose pack is damaged keeps its entry this way, so it is filed
//     and heals like one filed already (TestWaitingDamagedPackHeals).
//
// Costs, measured against the format-4 build in the same minutes on the
// shared 2-core machine (load 9-13): a first backup's CPU (cmd/bench
// -backup-only -runs 3 -memory-items 0) 0.985 s (0.96-1.21) against 1.09
// s (1.03-1.10), 5.32x the bare pager against 4.96x (the pager's own CPU
// 0.185 s against 0.22 s: noise); with -memory-items 100000 (one run
// each) the unchanged second backup took 3.29 s of wall against 3.52 s,
// but 30 MiB of peak heap against 17 MiB (the decoded-pack cache and the
// packs decompressed to compare), `verify` 0.41 s against 0.64 s, and a
// one-item restore plan 0.115 s of CPU against 0.085 s (its lookup by
// hash hashes the blob it reads). In a CPU profile of
// BenchmarkPutUnchanged (100,000 stored objects put again, 3 rounds with
// their seeding) the comparison with the stored bytes, decompression
// included, took 0.15 s of 4.07 s.
//
// The upgrade from format 4 (upgrade.go) keeps a copy (.format4) and
// marks the file format 5 in one transaction; the packs written before
// keep their hashes and are read as they are, so the contents and every
// hash Walk reports are those before (TestFormat4UpgradesTo5).
//
// # Trees
//
// Four changes took the tree side of the storage benchmark (cmd/bench
// -storage-only, 100,000 items, 10 days at 1% churn; bbolt's per-bucket
// stats of the last file, 4 KiB pages) from 8.6 MB to 3.0 MB, and the
// file on disk from 20.3 MiB (20.3-20.4, 3 runs) to 15.0 MiB (15.0, 3
// runs), 0.434x restic's repository and 3.85x the one-stream floor
// (load 6-12). Backup CPU (cmd/bench -backup-only, 3 runs) stayed at
// 1.5-1.75 s, within the machine's noise:
//
//	            | before  | after
//	chunks      | 2.88 MB | 1.86 MB
//	chunk index | 1.46 MB | 0.75 MB
//	free pages  | 4.25 MB | 0.39-0.41 MB
//
// The four:
//
//   - Pending entries (pending.go): a run's entries were a bbolt key each,
//     about 35 bytes with bbolt's element, 3.3 MB for a first backup of
//     100,000 objects; its commit deletes them, but the pages stay in the
//     file, and later runs reused them only in part. A batch now writes one
//     record, about 2.5 bytes an entry: on the benchmark's model (100,000
//     numbered objects in three collections, ten days) the free pages
//     went from 4.1 to 1.9 MB.
//   - Chunk index keys (chunkindex.go): the first 8 bytes of the hash, the
//     record's bytes compared on a hit, instead of all 32: half the index
//     (since grouped, below).
//   - Numeric keys as differences (tree.go: appendKey): keys were most of
//     a chunk (3.4 of 4.7 bytes an entry, numbered objects a few apart); as
//     a difference most take one byte. Index nodes code their first keys
//     the same way. Chunks of format 1 and index nodes of format 2, which
//     code every key as a shared prefix and the rest, are still read; a
//     tree built by an older build is written again, in the new format, by
//     the first backup after the upgrade (its chunks no longer match), and
//     the old chunks go with the snapshots that use them.
//   - Chunk index filing (chunkindex.go): a commit filed its entries with
//     its chunks, in one transaction, which rewrote nearly every page of
//     the index (its keys are random) and left the old copies as free
//     pages: most of what was left of them (with no index entries written
//     they stayed at 0.35 MB on the model, against 1.06 MB). The entries
//     now wait for the trees and are filed sorted, in up to 16
//     transactions of a slice of the hash range each (one when they
//     outnumber the entries filed before, whose pages they fill): 0.38 MB
//     on the model.
//
// On the benchmark's model (BenchmarkTreeStorage: 100,000 numbered
// objects in three collections, ten daily runs, -benchtime 1x) the four
// took the last file from 17.5 to 12.1 MB: free pages 4.12 to 0.39 MB,
// chunks 2.67 to 1.70 MB, chunk index 1.40 to 0.72 MB.
//
// Then the chunk index became a group index like the blob index
// (chunkindex.go, groupindex.go: the same code, a candidate checked
// against the chunk's bytes where a blob's is checked against its pack's
// hash), converted from a format-3 file's bucket by the upgrade, and a
// commit files its entries in one transaction: into groups, 16 slices
// rewrote a group once a slice, and left its freed overflow pages as runs
// later writes could not always reuse. On the storage benchmark (3 runs
// each) the chunk index went from 19,650 keys in 0.74-0.78 MB of pages
// (0.52 MB in use) to 6 groups in 0.18 MB (0.177 MB in use, 9.0 bytes an
// entry), and the database on disk from 12.1 MiB (12.1; 3.09x the
// one-stream floor, load 5-6) to 11.6 MiB (11.6; 2.98x, load 1-4). Groups
// filed in 16 slices gave 11.7 and 11.9 MiB (11.7-12.0 in six runs: free
// pages 0.5-0.9 MB), a group per transaction 12.0 MiB; on
// BenchmarkTreeStorage one transaction left 8.89 MB (free pages 0.51 MB,
// 2 runs), 16 slices 8.93-9.08 MB (0.54-0.70), the ungrouped index 9.31
// MB (0.39). Backup CPU (cmd/bench -backup-only -memory-items 0, 3 runs
// a round) did not move: 1.32 s before, 1.30 s with groups in slices
// (load 3-5); in two paired rounds of the ungrouped and the final build
// (load 0.6-1.0), 1.20 and 1.39 s against 1.24 and 1.37 s.
//
// # Patches
//
// What remained: a day at 1% churn added about 1,000 new chunks and
// nearly every level-1 index node (each lists the id of a changed chunk),
// some 150-175 KB, more than the day's new packs. Format 6 (patch.go)
// stores such a day as a patch instead: a collection's root may be a
// patch record, the hash of a full tree's root (its base; never another
// patch, so a read goes one level deep) and the entries that differ from
// it, sorted: a blob id, or a removal. Keys are coded as in chunks
// (numbers as differences), ids as the zigzag difference from the
// previous entry's, and the whole list is one zstd frame (the fastest
// level): a patch spans several days' runs, whose new ids interleave
// in key order, and zstd takes 60% off those differences (148 KB of
// patches to 58 KB on the storage benchmark).
//
// Patches live in the roots bucket, under their hash, told from a full
// root by their leading byte (5; index nodes and roots lead with 4, chunks
// with 3). A snapshot record names a collection's root by hash as before,
// so records, [Collection], the offsite code and "unchanged collection:
// same root" stay as they are, and prune's sweep of roots by hash needs
// only the mark to keep a patch's base. A bucket of their own would have
// needed a sweep and a place in verify and compact of its own, for no
// gain: roots are few (a few per snapshot).
//
// Writing. Commit reads the workspace's latest committed snapshot. For
// each collection it stores that the snapshot also holds, it takes the
// full tree under the snapshot's collection (the root, or a patch's
// base) and merge-walks the run's entries against the tree's chunks, in
// the tree-building transaction, without a map: the cost is a read of
// the base's chunks, of the order of the collection. When at most 1/8 of
// the base's entries differ (patchShare) and at most 65,536
// (maxPatchEntries: a read loads the whole patch), the patch is stored
// and no chunk is; otherwise the walk stops there and the collection is
// built as a full tree, as before (sharing its unchanged chunks with the
// base), and becomes the base of the next patches. A patch holds every
// change since its base, so a day at 1% churn costs about 1% of the
// entries times the days since the base: at 1% a base lasts some 13
// days. With nothing different the root is the base's itself; an
// unchanged collection's patch is the same bytes, so the same root.
//
// A patch is only written over a base that is the own root (a full tree)
// of one of the workspace's committed snapshots: once the snapshot that
// stored the base is forgotten, the next run stores a full tree, however
// little changed (TestPrunePatchBase); a based run (BeginFrom) too, even
// for a collection it does not change (TestBeginFromDeadBase). Prune keeps a patch's base, its
// chunks and all its blobs, as long as the patch lives, even objects the
// patch removes or replaces; with the rule, what only forgotten snapshots
// held outlives them by one run at most: it goes with the last patch over
// that base, the retention window after the next run
// (TestPruneRemovesForgottenObject). Without it, a quiet collection would
// have kept its patch's base, and every object deleted since, until 1/8 of
// it changed. The rule looks at the workspace's own snapshots only (which
// the commit reads anyway for the latest): another workspace's snapshot
// with the same tree (roots are content-addressed) could hold the base
// too, but finding it would read every snapshot record of the database on
// each commit, and missing it costs a full tree, not a wrong answer.
//
// A damaged tree in the latest snapshot makes the run build full trees
// (TestPatchDamagedReference); so do base entries out of order across
// chunks (each chunk checks only its own order; TestPatchUnorderedBase).
// A patch whose keys and numbers would take more than 8 MiB
// (maxPatchSize, a quarter of what a reader decodes: maxPatchDecoded) is
// not written either: the collection is stored as a full tree
// (TestPatchSizeBound). A reader refuses a patch of more than 65,536
// entries or whose keys (which share prefixes) decode to more than 32
// MiB (TestPatchDecodeRejects). The patch is stored in the transaction
// that would have stored the collection's chunks and its snapshot record
// comes in the last, as before: a crash between them leaves a patch that
// recovery's prune removes (TestPatchCrashBeforeRecord).
//
// Based runs (BeginFrom) on the latest snapshot compute the same patch
// from the run's changes and the base tree's chunks whose key range
// holds one (writer_base_patch.go: patchOver reads each such chunk once,
// and no other; TestBeginFromPatchOver and TestPatchOverEdges compare it
// with the whole-tree computation), so they commit what a Put per object
// commits; when the patch is too large, a patched base's entries join the
// run's changes (under them) and the full tree is built as before
// (TestBeginFromPatchedBase). Each base chunk read is checked against its
// parent's line (entry count, first key, ends before the next chunk): a
// mismatch fails the commit as damaged (TestPatchOverSwappedChunks). A
// damaged chunk in a range the run does not change is not read: the
// patch over it commits, and verify, which checks a patch's whole base
// tree, names the damage under the new snapshot too
// (TestPatchOverDamagedChunk).
//
// Reading. Walk and WalkObjects merge the base's chunks with the patch;
// Lookup searches the patch, then the base. The last few patches decoded
// (4, 16 MiB decoded at most: patchcache.go) are kept, keyed by root hash
// and checked against the record read, so that a restore plan's lookup
// per key does not decode the whole patch each time: on
// BenchmarkLookupPatched (100,000 objects, a patch of 11,111 entries,
// load 5) a lookup took 0.81-1.19 ms before, 64-80 µs with the cache,
// against 38-82 µs in a full tree. DiffCollection compares the
// bases as before (shared subtrees skipped; nothing when the two sides
// share their base, as successive patches do) and overlays the two
// patches; a key in one patch only is looked up in the tree the two
// bases share there, through a cursor that reads each node once.
// Verify checks that a patch hashes to its address, decodes (keys
// sorted), that its base is there and is a full tree (checked as any,
// but for the blobs of the keys the patch changes: they are not the
// patched view's, and a blob damaged there is reported under the
// snapshots that hold it, not the patch's: TestVerifySupersededBaseBlob),
// that it removes only keys the base holds, that the count is the
// record's, and that its blobs are sound. Prune marks a patch's base
// root, its tree and the patch's blobs. TestPatchModel checks every
// reader against a model and a database of full trees over random
// chains of changes.
//
// Chunk size. With a day's changes in a patch, chunks are written by a
// first backup and by a new base, which at more than 1/8 of the entries
// changed rewrites most chunks anyway (0.875^16: 12% of 16-entry chunks
// survive). Chunks of about 64 entries (boundaryMask 63, at most 256)
// cost less per entry than 16 (bbolt's element and key, a chunk index
// entry per chunk): on the storage benchmark 1,918 chunk records in
// 0.32 MB against 7,450 in 0.55 MB, and a chunk index of 20 KB against
// 70 KB. A lookup decodes 64 entries instead of 16.
//
// On the storage benchmark (cmd/bench -storage-only, one run each, load
// 4-11; bbolt's per-bucket pages of the last file; the last column is
// the final build, run in the same minutes as the format-5 one):
//
//	                     | format 5 | patches | + zstd  | + 64-entry chunks
//	database on disk     | 8.48 MiB | 7.3 MiB | 7.12    | 6.81 MiB
//	of restic's          | 0.244x   | 0.211x  | 0.205x  | 0.196x
//	chunks               | 1.86 MB  | 0.55 MB | 0.55 MB | 0.32 MB
//	chunk index          | 0.18 MB  | 0.07 MB | 0.07 MB | 0.02 MB
//	roots                | 0.01 MB  | 0.20 MB | 0.09 MB | 0.11 MB
//	added by a day       | 206-214 KB |       |         | 85-94 KB
//
// ("added by a day": the snapshot records' added_bytes, in use, days 2
// to 10.) With the commit's merge of small packs (# Packs) as well, the
// file took 6.58 MiB, 0.19x restic's 34.7 MiB (one run, load 4-5: packs
// 4.93 MB in 326 records, roots 0.10 MB). Across the columns of the
// table the file's other pages did not move (packs 5.2-5.3 MB, blob
// index 0.68 MB, waiting prefixes 0.36-0.38 MB). request-logs, whose
// 1,000 entries all change daily, is still a full tree a day.
//
// CPU. On BenchmarkTreeStorage (-benchtime 1x, three alternate runs of
// this and the format-5 build, load 4-5) a daily commit took 20-30 ms of
// CPU against 32-42 ms (the patch's merge-walk reads the base's chunks,
// but no chunk is cut, hashed or stored), a whole daily run (open, 100,000
// Puts, commit, close) 438-575 ms against 479-607 ms; the last file was
// 4.03 MB against 5.53 MB (its random churn gives zstd less to take:
// roots 0.16 MB). A first backup, which writes no patch, took 0.90 s of
// CPU (0.89-0.91, cmd/bench -backup-only -runs 3 -memory-items 0, load
// 5.1) against 0.86 s (0.82-0.89, load 5.7). BenchmarkCommitFrom's based
// commit: 18-62 ms against 17-102 ms (three runs each, load 4-5: noise).
//
// Lent pages (api.Client.ListLent into Writer.PutCopy's chunks) and pack
// record buffers kept from batch to batch: a first backup of 100,000 items
// allocated 54 MB against 110 MB (allocation profiles of cmd/bench's run),
// in 10 GC cycles against 15. Its CPU (cmd/bench -backup-only -runs 1,
// five alternate pairs with the build before, load 8.8-10.8) was 0.897 s
// (0.811-0.910) against 0.999 s (0.874-1.09), lower in every pair; with
// two more busy loops on the 2-core machine (four pairs, load 8.6-10.6)
// 0.874 s against 0.888 s, lower in three pairs of four. The bare pager
// took 0.16-0.33 s in the same runs: the ratio's medians, 4.26 against
// 4.57 and 4.69 against 4.78, are still above the target of 4 on this
// shared machine. Peak anonymous memory rose to 35.3 MiB from 32.8 (the
// chunks of a written batch wait in the Writer for the next), and to 47.7
// MiB at 1,000,000 items (cmd/bench -memory-items 1000000).
//
// # Damage
//
// Deduplication never reuses a damaged blob. When a Put's content is
// already stored in a pack, the batch write checks the pack's CRC-32C
// the first time the run meets the pack (a few microseconds a pack, in
// the read transaction, without copying it out) and that the pack lists
// the hash under that id (formats 3 and 4) or holds this content under
// it (format 5: the same bytes, or bytes whose canonical JSON has this
// hash). A stored copy that is a loose record (below) is
// copied out and, outside the transaction, decompressed and compared with
// the bytes just fetched (damagedCopies); a copy kept in another raw form
// of the same content is hashed instead. A blob whose pack fails its
// checksum, or whose loose copy differs, does not decompress, holds
// another hash or is missing, is stored afresh alone, as a loose record
// (the format-2 blob record: hash, then its own zstd frame) in the blobs
// bucket under the same id, in the batch's own write transaction; a
// loose record takes precedence over a pack's copy:
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
// (Problem.Content, VerifyReport.DamagedBlobs; a pack that fails its
// checksum or does not decompress: every blob in it) from structural damage
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
// from the server stays damaged until its snapshots are forgotten (and
// the patches over a tree that held it: see # Patches); damage
// to a chunk, an index node or a root is structural and no backup heals
// it (the next backup finds the chunk by its hash and reuses it).
//
// Up to format 2 that check was a read of the record, a zstd
// decompression and a bytes.Equal per reused object, about 2 µs, which
// made an unchanged object cost twice the CPU it did without the check.
// Format 3 checks a pack's CRC once per run instead (Writer.packs).
// Measured in alternate runs of the format-2 and format-3 test binaries
// (-benchtime 5x, the shared 2-core machine at load 6-7):
// BenchmarkPutUnchanged (100,000 unchanged objects) 1.06-1.18 s an
// operation before, 0.68-0.69 s after, and the benchmark process's CPU
// (five seeded databases and their unchanged puts) 15.4-15.8 s before,
// 8.0-9.0 s after; BenchmarkPut (100,000 new objects) 1.74-2.35 s before,
// 0.72-1.10 s after, process CPU 9.3-9.6 s before, 4.6-5.1 s after: one
// compression per pack costs less than one per object, level for level.
// A pack's checksum covers its header and frame, so it also guards the
// hashes and lengths a reader trusts.
//
// # Based runs
//
// A run begun with BeginFrom commits a committed snapshot plus the
// objects Put and Deleted (writer_base.go): collections it did not touch
// keep their root, and a touched one keeps every base chunk whose key
// range holds no change where a new chunk starts, so the trees are those
// a Put per object would build, at the cost of the changes. offsite
// restore-db files a history this way. BenchmarkCommitFrom (100,000
// objects, 1% changed, -benchtime 3x, load average 2): 306 ms a commit
// with a Put per object, 37 ms on the last snapshot.
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
//     Options.BatchObjects (5,000 by default, as the program sets) or
//     4 MiB; tree building and pruning are batched the same
//     way. Blob and chunk records get ids in order and are appended at the
//     end of their buckets (pages filled to 95%, not split in halves), as
//     are packs, under their first blob id. Their
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
//     117 MB. A batch looks its new hashes up in prefix order through one
//     reader of the index (groupFinder: each group read once a batch, not
//     a bucket open and a seek from the root per hash), after the set of
//     waiting entries, an open-addressing table indexed by the hashes' own
//     bits (waittable.go: 4.2 MiB with room for 81,920 entries, made
//     once, where a Go map took 8 MiB at 65,536). A filing rewrites
//     every group its entries land in, which for a first run's random
//     hashes is the whole index: offsite restore-db, which imports a
//     history of a million objects into a new database, lets 262,144
//     entries wait (17 MiB of table) and files the rest before it closes
//     the file ([DB.FileBlobIndex]): four filings, 2.8 million entries
//     written, against 13 and 7.3 million (see offsite's # Figures).
//     Chunk index entries wait
//     for a commit's trees, then are filed sorted (chunkindex.go), in one
//     transaction since the index is grouped (# Trees).
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
// The large pointer-free buffers a backup fills and uses again (PutCopy's
// chunks, the table of waiting index entries and its sorted copy) live
// outside the Go heap, in regions of 2 MiB that may get huge pages, and
// go back to a free list of their size when their run ends or the
// database closes (bigbuf.go): a first backup of 100,000 items took
// 12,400 page faults, 6,100 now, and 8% less CPU on the 2-core test
// machine, where a fault costs about 10 µs.
//
// ContentHash canonicalises into a pooled buffer (jsonv.CanonicalForm)
// and hashes an object that is already canonical as it is, decided in
// the same pass (it used to run jsonv.IsCanonical first, then
// canonicalise from the start whatever failed it): a new buffer per
// object was a fifth of a backup's allocations.
// With readData, Verify also keeps one map entry per pack it read, with
// the blobs found damaged.
//
// Prune drops dead blobs from packs only when fewer than half of a pack's
// blobs live (packs_prune.go): the pack is then decompressed, rewritten
// with its live blobs under the same ids and compressed again; a pack
// with none left is deleted. Below that, a dead blob keeps its bytes in
// its pack (its index entry goes), so up to half of a pack can be dead.
// A blob stored afresh after damage counts as dead in its old pack.
// Packs are not merged with one another but a run's own small ones at
// its commit (# Packs): id ranges must not overlap.
//
// What keeps the database above the one-stream floor: up to format 4
// each object version carried its 32-byte hash in its pack (3.75 MB of
// the storage benchmark's packs; format 5 lists none), packs
// are compressed apart, so an object's new version does not reference the
// old one as a single stream does, and bbolt's copy-on-write leaves free
// pages behind a filing of the index.
//
// Index nodes cost little at small change rates but a little more at high
// ones: in a full tree built at 1% of objects changed most level-1 nodes
// change too (a patch writes none). Walk reads
// every index node of the collection before its first chunk. A patch
// grows with the days since its base (# Patches): a collection read
// through a patch costs a read of the whole patch besides the base.
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
