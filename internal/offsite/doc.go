// Package offsite keeps encrypted, deduplicated, incremental copies of
// the snapshots of the local database on an object store (S3 and its
// kin, through github.com/minio/minio-go/v7) or a mounted disk (file://,
// the same layout), restorable on another machine. It knows neither
// bbolt nor Enspace: push reads the local database through Source, and
// restore hands each object's collection, key and raw JSON back to its
// caller (internal/app turns them into a database with snapshot's
// writer).
//
// # Repository
//
// The design follows restic's:
//
//	keys/<random id>        the master key sealed under a password (JSON, the one clear object)
//	data/<sha256>           packs: blobs and tree chunks, zstd-compressed, then sealed
//	index/<sha256>          which blobs each pack holds, where (compressed, sealed)
//	snapshots/<sha256>      one record per pushed snapshot (compressed, sealed)
//	locks/<random id>       who works on the target (sealed)
//	damaged/<sha256>        empty: a verify found data/<sha256> damaged (# Repair)
//
// The first push to an empty target creates the repository: a random
// 32-byte master key sealed in the first key file, which always has one
// name (keys/000...0) and is written only if absent (Backend.Create: a
// hard link on file://, a PUT with If-None-Match: * on S3, which AWS,
// MinIO and SeaweedFS honour; TestCreateAgainstRealS3 checks the suites'
// server). Of processes that create a repository at once, or one that
// found the target empty long before it wrote, exactly one creates it and
// the others open its key. Deciding by name order after a pause, as
// before, let a process that wrote its key more than the pause after
// another pick a second master key once the first was in use. A server
// that ignores the condition keeps the last of two creates: each creator
// reads the key back after 2 seconds and yields if it is not its own, so
// such a server is no worse off than before. Repositories created by
// earlier builds keep their random-named first key.
//
// The master key is 32 random bytes. A key file seals it (AES-256-GCM)
// under a key derived from the password with argon2id (RFC 9106's first
// setting: 1 pass, 64 MiB, 4 lanes; the parameters and a 32-byte salt are
// stored in the file, and bounded when read: at most 10 passes over 1 GiB,
// so a planted key file cannot exhaust the machine). Several keys may
// open one repository: rotating the password is adding a key for the new
// one (Repo.AddKey) and removing the old (Repo.RemoveKey, from a Repo
// opened with the new password). The data is not re-encrypted: whoever
// copied an old key file and knows its password can still read what the
// repository held then and what is added later. A compromised master key
// calls for a new repository (a new target, a full push).
//
// Everything else is sealed with the master key: AES-256-GCM, a random
// 12-byte nonce per object, the object's kind ("pack", "index", ...) as
// authenticated data so that one kind cannot pass for another. Object
// names are the SHA-256 of the stored bytes or random ids: no workspace,
// slug, daemon name nor value appears in a name or in metadata. The
// daemon's name, the workspace and the local record live inside the
// sealed snapshot records. A record's name is the hash of its bytes, so
// verify checks every object against its name before decrypting it.
//
// # Blobs, trees and packs
//
// A data blob is one object's raw JSON as the API returned it, named by
// the local store's content address (SHA-256 of its canonical JSON), so a
// push knows what the target holds from the local trees' hashes without
// reading the objects, and restore-db checks each object against its
// name. A collection is stored as a tree of content-defined chunks:
// leaves of (key, blob) entries, cut after a key whose SHA-256 has its
// low 3 bits zero (about 8 entries, at most 32); nodes of child chunks,
// cut after a child whose id has its low 4 bits zero (about 16, at most
// 64), up to one root. Trees and index entries name tree chunks by Ref,
// the first 16 bytes of their ids, and data blobs by a name of 8 bytes of
// theirs (format 4, # Formats; 16 in formats 1 to 3), and leaves
// prefix-compress their keys. Local chunk ids are not used: they are the local database's own
// numbering, so the portable tree is rebuilt from keys and hashes and
// identical chunks dedupe across snapshots and daemons.
//
// A collection that changed little since this daemon's previous push of
// its workspace is pushed as a delta instead: one chunk naming the
// previous push's tree (its base) and the keys set or removed since, read
// from the local database's diff of the two snapshots (whose cost follows
// what changed). A delta is written when it holds at most a quarter of
// the collection's entries (or 256) and 16 MiB encoded (readers refuse a
// chunk over 64 MiB), and its base is fewer than 16 deltas from a full
// tree; otherwise the collection is a full tree again, which
// shares its unchanged chunks with the last one. A delta is applied by
// key, not by merging sorted lists, so this package needs no knowledge
// of the local key order. The base must be a snapshot the local database
// still holds (its diff is the delta) and whose root the index lists.
//
// Blobs and chunks go into packs of about 4 MiB (before compression),
// data and trees apart (restore reads every tree first), each pack
// zstd-compressed as a whole, then sealed. A pack's header gives each
// blob's type and length, and an index file lists, per pack, each blob's
// type, ref, the gap from the end of the previous blob (its header in the
// pack) and length, a column per field (the refs' random bytes apart); a
// data blob's ref may instead be given as the tree chunk entry that names
// it (format 3, # Formats). Whoever reads a blob checks that the pack's header
// puts a blob of its type and length where the index says, and that its
// bytes hash to its ref.
//
// # Formats
//
// Format 2 cut what a new object costs on the target from 71
// bytes besides its compressed JSON (a 32-byte id in the pack's header
// and in its index entry, with its offset) to about 23, and what a tree
// costs at 1% churn from a new leaf and node for nearly every changed
// object to one delta entry. Format 1 objects (packs ESPK 1, index files
// ESIX 1; leaves and nodes are unchanged) are read as before, and a
// repository may hold both: this build reads a target an earlier build
// wrote and writes its format into it (testdata/format1, written by the
// last format-1 build, restores, verifies, takes a push and prunes in
// TestFormat1Read; index files ESIX 2 are read as before, TestIndexV3). Earlier builds cannot read format-2 objects: their
// prune and verify report the index files as damaged and stop, and their
// push uploads its objects again in format 1. Upgrade every machine that
// writes to a target together.
//
// Format 3 (index files ESIX 3, packs and tree chunks as in
// format 2) stores a new object's 16-byte ref once. In format 2 it stood
// twice: in the object's index entry and in the tree entry that names it
// (a leaf's entry, or a delta's change), and random refs do not compress:
// of a 1% push's 40 KB, some 32 KB were refs. An index file's entry list
// of a pack now has, after the type, gap and length columns, a table of
// tree chunk refs and a column of sources (0: the ref is explicit, in the
// last column as before; k+1: the entry of chunk k of the table), then,
// for each entry given by chunk, its entry number in the chunk (leaf
// entries and delta changes count alike) as a zigzag varint of the
// difference from the entry after the previous one of the same chunk, so
// that consecutive entries of one chunk cost a 0 byte. Only data blobs
// are given by chunk, and only by an entry that names a blob; tree chunks'
// entries stay explicit, so resolving a ref never needs another
// resolution (no cycles), and (chunk, entry) does not depend on the
// pack, so a repacked blob keeps it. Readers (push's knowledge of what
// the target holds, verify, prune) load every index file, then read the
// chunks that by-chunk entries name (tree packs, which verify and prune
// read anyway) and fill their refs in; restore fills them in as its walk
// of the snapshots' trees reads the chunks (# Push), then reads the
// chunks no walk reached; the chunk must be
// listed, explicitly, in some index file (not necessarily the same or an
// earlier one: explicit tree entries leave no cycle to guard against).
// An entry whose chunk is in no index or cannot be read, is a node, lacks
// the entry, or whose entry is a removal, is damage: verify names the
// index file, push and restore log it and leave the blob out (push
// uploads it again), prune stops. An entry whose chunk names another
// object resolves to a ref the blob's bytes do not hash to, which every
// read of the blob checks (verify --read-data reports it). The decoder
// bounds the table by the file's bytes, sources by the table and entry
// numbers by what a chunk of at most 64 MiB can hold; FuzzDecode feeds it
// formats 1 to 3.
//
// Push gives a data blob by chunk when the first complete tree chunk of
// this push that names it is in a tree pack this push uploaded and lists
// in the same index file or one it wrote before (never a chunk of an index
// file it loaded: a concurrent prune may be deleting it). For a delta
// that is always so: its objects' index entries are written at the end
// of the snapshot, with the tree pack that holds the delta. For a full
// tree, the index written every 8 packs takes the open tree pack with it
// (one more small tree pack per 8 data packs), so only the objects of a
// leaf still open then are explicit. Prune writes its one index with
// each kept blob by the chunk it had when that chunk stays (in a kept or
// repacked tree pack), and explicit when the chunk goes. A push with a
// cache (Options.CacheDir) keeps each index file's resolved refs
// (resolved/<index file>, sealed, the file's name inside), written with
// the index file, so a warm push reads no tree pack; a cold one reads the
// tree packs the entries name (for the figures' target: 0.17 to 0.40 s a
// push, against 0.08 s in format 2). Earlier builds cannot read format-3
// index files (bad magic: what format 2 did to format-1 builds).
//
// Format 4 (this build; index files ESIX 4, leaves and deltas of chunk
// formats 4 and 5, packs and nodes as before) names a data blob by 8
// bytes of its id instead of 16: of format 3's target, about 1.6 MB in
// 3.4 MB were the 16-byte refs of the leaves and deltas, random bytes
// that do not compress. A data blob's name is short, the first 8 bytes
// of its id (nameLen, a variable tests shorten to 1 byte), or long, its
// 16-byte ref as in format 3. Leaf entries flag a long name in the
// shared-prefix length (doubled, +1: a key that shares 64 bytes or more
// with the one before costs a byte more), delta changes in their change byte
// (1 short, 2 long), explicit index entries in their type (3: a data
// blob named by 16 bytes); leaves, deltas and index files carry the
// short names' length after their format byte or magic. Tree chunks keep
// their 16-byte refs (nodes, a delta's base, the index's chunk tables),
// and by-chunk entries work as in format 3. In memory a name is a Ref:
// the short one's bytes followed by zeros, which the encoders write short
// again (a Ref whose bytes past 8 are zero), so each form reads back as
// the Ref it was written from; a name read from a format-1 to -3 tree
// or index is a long one.
//
// An 8-byte name can be another object's: two of n objects share one
// with a chance of about n^2/2^65 (2^-33 at a million objects; making two
// that do takes some 2^32 hashes, within anyone's reach). So push never
// deduplicates on an unconfirmed short name: it skips uploading a blob
// whose short name the target (or this push) holds only when that blob
// is known to be this content, by its full id: the local cache records,
// per pack (ids/<pack>, sealed, the pack's name inside), the full id of
// every data blob this machine pushed, hashed to confirm a name, or read
// in a restore (restore-db fills the cache of the database it creates,
// beside it, so a rebuilt machine does not pay); otherwise the push
// downloads the pack that holds it and hashes its data blobs
// (Options.BlobID), caching their ids. A pack is named by its hash, so
// what the cache says of it stays true. When the target's blob under the
// name is another (a collision, or a pack that cannot be read), the new
// blob is named by its long name, which push trusts without reading, as
// format 3 trusted every 16-byte ref (TestShortNameCollisions provokes
// collisions at 1-byte names: each blob is uploaded once, every snapshot
// restores byte for byte, verify --read-data finds nothing, and so after
// a prune). A cold push (an empty cache) therefore reads the data packs
// holding the objects it deduplicates against by short name: nothing for
// a day's new objects, every data pack for a full tree of objects the
// target holds (# Figures).
//
// Readers check each blob's bytes against its name: restore computes an
// object's id (Options.BlobID) and the name must be its long name or a
// short one (ID.named), and so does verify --read-data; prune keeps and
// writes names as they are. Two pushes at once can each find a short
// name free and upload different objects under it: the trees that name
// it are then ambiguous (a restore may hand back either, both hash to the
// name). Verify --read-data reports such a name as damage (both packs
// named; forget and push the snapshots of that time again), and prune
// keeps every blob under a used short name rather than pick one (a copy
// of one object uploaded twice stays too). Formats 1 to 3 are read as
// before (testdata/format3, written by the last format-3 build, restores,
// verifies, takes a push and prunes in TestFormat3Read). Earlier builds
// cannot read format-4 objects: an index file is a bad magic, a leaf or
// delta an unknown chunk format; upgrade every machine that writes to a
// target together.
//
// # Push
//
// Push takes a shared lock, lists the target's snapshot records, and for
// every local snapshot the target lacks under this daemon's name pushes
// its collections, as deltas or full trees: each object and tree chunk
// that no index lists (nor this push queued) goes into a pack, uploaded
// in the background (four at a time) while the walk goes on; every 8
// packs (and the open tree pack with them), and at the end of each
// snapshot, the push waits for its uploads and writes an index file for
// them; the snapshot's record is written last. Restore reads each tree chunk once to find the objects the chosen
// snapshots name (the packs of the snapshots' roots four at a time as it
// starts), and downloads the packs that hold them in the background,
// four at a time, in the order the trees first name them, from the first
// one they name on, while the rest of the trees is read (an index entry
// given by chunk is resolved when the walk reads its chunk, before the
// objects the chunk names are looked up, so format 3 holds back no data
// pack: the chunks no walk reached are read once every tree is, and
// the objects named before their entries were found are then
// queued); it checks each
// object of such a pack once (all of them, since the trees may name more
// of a pack's objects after its download began): that the pack the index
// places it in holds it, and that its bytes hash to its ref
// (Options.BlobID, which restore requires: it gives the full id the
// local store files the object under; for an object whose entry was
// resolved after its pack was prepared, when it is looked up and once
// every pack is prepared: the id computed from its bytes must give the
// ref); Restorer.Entries (or CollectionEntries, one collection)
// then hands restore-db each snapshot's (collection, key, id), Changes a
// collection's delta against the snapshot before, and Raw an object's
// checked bytes, each waiting for its pack, so that restore-db files the
// objects of the first packs while later ones download (Restorer.Wait
// waits for them all). A push that is killed or
// loses its connection leaves no visible snapshot; what it uploaded and
// indexed is reused by the next push, and packs it uploaded without an
// index are re-uploaded (prune removes the orphans). The index files on
// the target are the truth: a local cache (Options.CacheDir, beside the
// database) keeps copies of index files and records as stored and saves
// their downloads (and the by-chunk entries' refs and the data blobs'
// full ids, # Formats), but only for names the target's listing holds, and
// only when the copy hashes to its name. Verify reads the target itself
// and drops the cached copies of what it finds damaged; what a lost or
// damaged pack does to push and prune is # Repair. A record that cannot
// be read never stops a push (it is logged, and its snapshot pushed
// again), and always stops a prune, which must know everything that is
// referenced.
//
// # Repair
//
// Index files are the truth about what the target holds, but a pack can
// be lost from under them (a disk, an operator's rm) or damaged (a
// flipped byte). Earlier builds trusted every index entry: push counted
// a snapshot as there and deduplicated new snapshots against the lost
// pack's objects, so every later snapshot was unrestorable too. Now:
//
//   - Every reader of the index (push, prune, restore) lists data/ once,
//     after index/ (a push writes packs before the index file that lists
//     them, so a pack of a listed index file that still exists is in the
//     listing), and leaves out the packs it does not list, those a
//     verify on this machine recorded damaged (the file "damaged" in
//     Options.CacheDir), and those a damage marker on the target names
//     (damaged/<pack id>, listed after data/: one more LIST). A blob or chunk is then found in another pack
//     that holds it or not at all (an error naming the lost pack); a data
//     blob given by a chunk of a left-out pack is left out too, even when
//     the cache knows its ref (a reader without the cache could not
//     resolve it). So push never dedupes against a pack that is gone.
//     That LIST of data/ is what a push costs more in the common case
//     (# Figures).
//   - Verify leaves out the missing packs (and, with --read-data, those
//     that do not read back whole), checks every snapshot's trees and
//     objects against what is left, and names each snapshot that misses
//     something, with the packs that held it (VerifyReport.Incomplete, and
//     a problem on the record). It records the damaged packs and the
//     incomplete snapshots in the cache's "damaged" file, and writes a
//     damage marker on the target for each pack whose bytes, read a
//     second time at the size data/ lists, still do not hash to its name
//     (an empty object named after the pack: nothing readable). A read of
//     another length is a transport fault, and bytes that hash to the
//     name but do not decrypt mean this machine holds another master key
//     (a repository an earlier build created twice): neither is marked. A
//     verify --read-data that reads a marked pack well deletes its
//     marker. So every machine leaves a damaged pack out and the
//     next push of any daemon deals with it, whichever machine verified.
//     Writing the marker is best effort: with read-only credentials it is
//     refused, verify logs a warning and reports as before, and only
//     this machine's cache knows. Without --read-data, verify leaves out
//     the packs markers name (a problem each).
//   - Push first looks again at each pack a damage marker names, and,
//     when a pack is missing or damage is recorded here (only then: the
//     common case walks no tree), at each recorded pack: one whose bytes,
//     at the size Stat gives, still do not hash to its name is deleted
//     (then its marker), since
//     nothing can read it and every reader would keep trying it, so that
//     every machine then sees it missing; one that reads well is taken
//     off the record (its marker deleted). It then checks each of this daemon's snapshots on
//     the target, a tree chunk once, and pushes each one that misses
//     something and that the local database still holds again as full
//     trees (uploading, in new packs with a new index file, what is not
//     found elsewhere), writes its record and deletes the old one
//     (PushReport.Repaired). A snapshot may have several records (a
//     repair or refresh killed between writing the new and deleting the
//     old): when one is complete, the broken ones are deleted and nothing
//     is pushed; when all are broken, it is pushed once and all deleted. A push that checked notes the missing packs
//     it checked against (the cache's "repaired" file): the pushes after
//     it walk no tree until another pack goes missing or a verify records
//     damage (TestPushChecksOnlyAfterDamage). New snapshots never build a delta on a
//     snapshot that misses something. A snapshot the local database no
//     longer holds, or another daemon's, is logged: its own daemon's
//     push repairs it, or forget removes it. A missing or damaged index
//     file leaves its packs unindexed: verify names the snapshots that
//     miss them, and the push after that verify pushes them again.
//   - Prune refuses to run while a snapshot needs a tree chunk or object
//     that only a missing or recorded-damaged pack held, naming those
//     packs and saying to run push (which repairs) or forget; it deletes
//     nothing then. Once push has repaired, prune runs: the new index
//     leaves out the missing packs' entries (and those given by their
//     chunks), and a damaged pack still in data/ is deleted like one no
//     index lists (once older than the safety window). Prune deletes the
//     damage markers of packs that are gone. Refusing for as
//     long as the old entries are listed would refuse for good, since
//     only prune rewrites the index.
//
// Index entries are not rewritten by push (it holds a shared lock): until
// the next prune, verify keeps reporting the missing pack (and the index
// file entries given by its chunks) as problems, but no incomplete
// snapshot.
//
// # Locks
//
// Push and forget take a shared lock, prune an exclusive one: a locks/
// object holding name, host, pid, operation and times, rewritten every 5
// minutes while held. A lock not refreshed for 30 minutes is stale: it
// blocks nobody, and `offsite unlock` removes it. A live conflicting lock
// is ErrLocked, and its message names who holds it, since when, and when
// it goes stale. A lock released while it was being listed is no lock.
//
// Staleness is judged on the target's clock, never on a machine's own:
// a lock was last refreshed when the target last wrote its object (its
// modification time), and "now" is the modification time of a lock
// object the judge has just written: acquire's own lock, or the probe
// lock `offsite unlock` writes and removes (one left by a killed unlock
// goes stale like any lock). A pruner whose clock runs
// half an hour ahead so takes no live lock for stale. The listing alone
// (Repo.Locks: verify and restore, which write nothing) judges
// against the local clock: a reader that misjudges a prune's lock still
// looks again before it reports damage.
//
// A holder whose last successful refresh is older than the expiry (the
// refresh kept failing, or the process was suspended) cancels its own
// work. A refresh that finds its lock object gone (unlock --all, or a
// prune that took it for stale) cancels the work with ErrLockLost and
// never writes it again; before writing an index file or a snapshot
// record the holder checks both, and fails with ErrLockLost rather than
// publish packs a prune may have deleted. Two daemons pushing under
// different names share the lock and never touch each other's records;
// packs they both upload are harmless duplicates (each index lists its
// own). Verify, snapshots and restore write no lock, so read-only
// credentials suffice. Verify and restore refuse to start while a live
// exclusive lock is on the target (ErrLocked, naming the prune), and
// when they find something missing they look again: a prune that
// started meanwhile may have replaced a pack, and they say so (ErrLocked)
// rather than report damage. A shared lock would keep a prune out for
// their whole run, but needs write access and leaves a lock behind when
// killed.
//
// Locks can fail: a refresh can re-create an object removed between its
// look and its write, a target can list inconsistently, someone runs
// unlock --all too soon. A fence that needs neither locks nor clocks
// keeps a push and a prune that overlap anyway from publishing a record
// whose packs are deleted. Each side writes, then reads what the other
// writes:
//
//   - push, after writing each snapshot record, lists index/: if an index
//     file it loaded (or wrote) is gone, it deletes that record and fails
//     with ErrLockLost ("a prune ran during this push");
//   - prune deletes no pack until it has written its new index, deleted
//     every old index file, and listed snapshots/ again: if a record
//     appeared that it did not read at the start, it writes the old
//     index files back (same names and bytes), deletes no pack and fails
//     with ErrLockLost ("a push wrote ... during the prune").
//
// Take a record R the push wrote, and an old index file F the push loaded
// and the prune deletes. Either the push's listing comes after F's
// deletion, and the push sees F gone and withdraws R; or it comes before,
// and then R was written before F was deleted, so before the prune's
// second listing, which sees R (or R is among what the prune read at the
// start, and the prune keeps what R uses). A record written before the
// prune's first listing is read by it: what it names is used, a tree
// chunk it names that the prune's index lacks stops the prune, and a
// pack indexed only after the prune loaded the index was uploaded
// moments before, inside the safety window (# Forget and prune). A push
// that loaded the index after the prune deleted the old files reuses
// only what the new index lists, which the prune keeps. What the argument needs
// is an index file both loaded: when the target held none as the prune
// started (every pack then unindexed), packs the push uploads are
// protected by the safety window below alone. A withdrawn record leaves
// its packs, indexed, for the next push to reuse; an undone prune leaves
// its new index beside the old (duplicate entries, harmless) and the
// next prune tidies both.
//
// # Forget and prune
//
// Forget removes this daemon's records of snapshots the local database
// no longer holds (local retention decides; internal/app only forgets
// snapshots the database's runs log shows it once held, so a new machine
// under an old name cannot forget the history it has yet to restore). Prune (exclusive) walks
// every record's trees, of every daemon (a record listed but gone when
// read stops it: under its lock that is a broken lock or a listing of
// what the target no longer holds, and what only that record used would
// be freed; push reads leniently and skips it), then deletes packs nothing
// references, rewrites packs less than half used, writes one index for
// what is left, and only then deletes the old index files and, once it
// has checked that no record appeared meanwhile (# Locks), the packs.
// Packs younger than the safety window (6 hours) are never touched, so a
// push that outlived its lock cannot lose fresh packs. On a file://
// target prune also removes the .tmp-* files (never listed) that a write
// killed between its temporary file and the rename left, once older than
// the window.
//
// # Figures
//
// BenchmarkOffsite (internal/app; 100,000 items of about 350 bytes, 11
// daily snapshots, file:// target; shared 2-core machine). Format 1 is
// main at 4dca8f7 (load average 1.2 to 4.7 during the run), format 2 this
// build (load average 4.3 to 5.1); the bytes do not depend on the load:
//
//	                                      format 1                 format 2
//	first push                            11.0 MB                  4.76 MB (the local database added 8.47 MB)
//	push after an unchanged backup        374 bytes                374 bytes (the record; its lock aside)
//	push after 1% of the items changed    679 KB, 2.21x            40.0 KB, 0.13x the 307 KB the local database added
//	target after 10 days at 1% churn      17.1 MB, 1.51x           5.12 MB, 0.45x the 11.3 MB the local snapshots added
//	restore-db of those 11 snapshots      10.2 s                   9.0 s, of which 2.0 s read the target (now 1.8 s: below)
//	plain copy of the target's files      0.13 s                   0.05 s
//
// The issue asks for at most 1.5x and 1.2x. The local database is about
// to shrink by 30 to 50% (packs without duplicate hashes, compact trees):
// against it these bytes would be 0.19x to 0.26x and 0.65x to 0.91x. What
// is left of the first push is the objects themselves (zstd over 4 MiB of
// them) and some 23 bytes a new object: its pack header (3), its index
// entry (type, ref, gap, length: 20); a full tree adds a leaf entry (the
// key's new bytes and a ref) per object. What is left of a 1% push is the
// changed objects and a delta entry each. Leaves of 16 entries gave 1.53x
// for the format-1 1% push, full 32-byte ids in trees 2.49x.
//
// The local database then shrank more than that, so the same bytes now
// stand above it: against format 5 (packs without hashes) a 1% push was
// 0.29x the 139 KB the local snapshot added and the target 1.47x the 3.49
// MB the local snapshots added; against format 6 (a day's changes a patch
// over an earlier tree, a run's small packs merged) the local snapshot
// adds 19 KB, the push is 2.10x that and the target 2.32x the 2.21 MB the
// local snapshots add (BenchmarkOffsite, one run each; the target's 5.12
// MB and the 1% push's 40.0 KB did not change). Both issue figures are
// not met: what stands above the local database is the 16-byte ref of
// each object in the index (20 bytes an entry) and in the trees (a leaf
// or delta entry each), where the local database names an object by a
// small id and finds it by a 6-byte prefix.
//
// Format 3 (each new object's ref stored once: # Formats), against main
// at 669f671 (format 2), BenchmarkOffsite with a cache for the pushes (a
// warm push is the 9th day's, a cold one the 10th's with an empty cache),
// three pairs back to back on the shared 2-core machine at load 1.2 to
// 3.9; the bytes were the same in every run (to a few bytes of nonces):
//
//	                                      format 2                 format 3
//	first push                            4,760,755 B              3,189,268 B
//	push after 1% of the items changed    39,950 B, 2.10x          23,967 B, 1.26x the 19,027 B the local snapshot added
//	target after 10 days at 1% churn      5,120,690 B, 2.32x       3,405,354 B, 1.54x the 2,205,751 B the local snapshots added
//	warm 1% push                          0.096, 0.072, 0.076 s    0.081, 0.069, 0.072 s
//	cold 1% push (empty cache)            0.084, 0.059, 0.102 s    0.170, 0.230, 0.225 s (it reads the tree packs)
//	restore-read-s                        0.54, 0.38, 0.55 s       0.23, 0.49, 0.25 s
//	restore-db-s                          0.92, 0.52, 1.37 s       0.59, 0.89, 0.84 s
//
// Through a target that answers each request after 20 ms
// (BenchmarkRestoreLatency, 30 days of 2,000 items, -benchtime 3x, two
// pairs at load 5.8 to 7.1), restore reads more slowly: 0.84, 0.93 s
// before and 1.07, 1.10 s after with Open; 0.64, 0.73 s and 0.73, 0.86 s
// with OpenPrefetching. The index is complete only once the tree packs
// its by-chunk entries name are read, and restore starts downloading
// data packs only then, where it used to download them while it read
// the trees.
//
// Restore then resolved those entries as its walk reads the chunks (#
// Push): the data pack of an object starts downloading once the chunk
// that names it is read, as in format 2. With it, the packs of the
// snapshots' roots are noted as loading before any walk starts (a
// caller's first walk used to read one alone, holding the trees' lock,
// while the others and every data pack waited), and the records and
// index files are read (and prefetched) 8 at a time instead of 4. Format
// 2 (main at b8ccff6), format 3 before (main at 829c6d5) and after,
// BenchmarkRestoreLatency -benchtime 1x, in turn, 7 rounds at load 10 to
// 21 (the shared machine's other work):
//
//	                  format 2                      format 3 before                format 3 after
//	Open              0.77 0.76 0.89 0.99 0.88      1.20 1.62 1.78 2.19 2.25       1.66 0.98 1.25 1.75 1.54
//	                  0.95 0.78 s                   1.56 1.37 s                    1.44 1.09 s
//	OpenPrefetching   0.61 0.65 0.65 0.69 0.69      0.77 0.74 0.97 0.87 0.84       0.58 0.43 0.62 0.68 0.48
//	                  0.72 0.70 s                   0.83 0.72 s                    0.60 0.44 s
//
// With OpenPrefetching (restore-db's) format 3 now reads faster than
// format 2 did. With Open the figure is mostly the key's derivation,
// which this benchmark makes slower in format 3 for a reason outside
// restore: timed apart (3 and 4 times, load 10 to 15), Open took 0.14
// to 0.27 s in format 2's benchmark and 0.62 to 1.6 s in format 3's, its
// profile 80% runtime.memclrNoHeapPointers (argon2id's 64 MiB allocated
// from fresh pages after the format-3 pushes that set the target up),
// while what follows it took 0.66 to 0.69 s in format 2 (records 0.19
// to 0.20 s, NewRestorer 0.21 to 0.23 s, the trees and packs 0.24 to
// 0.27 s) and 0.43 to 0.48 s after (0.10 to 0.11, 0.13 to 0.15 and 0.19
// to 0.22 s). BenchmarkOffsite (file://, no latency) showed no change
// through the noise, in turn at load 11 to 20: restore-db-s 5.62, 2.24,
// 2.66 s in format 2, 4.08, 3.73, 5.33 s before and 4.21, 2.79, 4.81 s
// after; restore-read-s 1.71, 2.91, 2.30 s, 0.99, 1.32, 1.70 s and 1.60,
// 1.03, 1.76 s.
//
// The 1.5x for a 1% push is met; its 1.2x for the target is not.
// What stands above the local database now is each object's ref in its
// leaf or delta entry (16 bytes, once), its index entry (type, gap,
// length, source, entry: about 5 bytes) and the keys of the leaves: of the
// first push's 3.19 MB, some 1.6 MB are the leaves' refs. Storing no ref
// at all (a tree entry naming its object's place, the ref computed from
// the bytes) would leave a cold push nothing to learn the target's
// objects from but the objects themselves.
//
// Format 4 (data blobs named by 8 bytes, confirmed by full id: #
// Formats), against main at ff355e7 (format 3), BenchmarkOffsite, three
// pairs back to back on the shared 2-core machine at load 8.8 to 9.1
// (the bytes the same in every run, to a few bytes of nonces). A cold
// full push is another daemon, with an empty cache, pushing the same 11
// snapshots to a copy of the target: a full tree of 100,000 objects the
// target holds, then deltas (cold-full-push-s):
//
//	                                      format 3                 format 4
//	first push                            3,189,262 B              2,295,424 B
//	push after 1% of the items changed    23,968 B, 1.27x          15,897 B, 0.84x the 18,860 B the local snapshot added
//	target after 10 days at 1% churn      3,405,343 B, 1.55x       2,438,897 B, 1.11x the 2,201,260 B the local snapshots added
//	push after an unchanged backup        373 B                    374 B
//	warm 1% push                          0.13, 0.35, 0.14 s       0.21, 0.28, 0.15 s
//	cold 1% push (empty cache)            0.39, 1.09, 0.29 s       0.64, 0.97, 0.57 s
//	cold full push (empty cache)          1.29, 3.15, 1.02 s       2.38, 3.26, 2.47 s
//	restore-read-s                        1.70, 0.95, 0.93 s       1.39, 1.50, 1.18 s
//	restore-db-s                          3.36, 3.09, 2.19 s       2.07, 3.56, 3.18 s
//
// Three more pairs at load 13 to 14 (format 3, then format 4): warm 1%
// push 0.36, 0.29, 0.23 s and 0.47, 0.36, 0.32 s; cold 1% push 0.92,
// 0.90, 0.55 s and 0.80, 0.84, 0.78 s; cold full push 2.00, 2.45, 2.00 s
// and 2.70, 3.81, 2.89 s; restore-read-s 1.12, 2.62, 1.91 s and 1.90,
// 2.94, 1.14 s; restore-db-s 2.94, 3.75, 4.48 s and 3.81, 4.66, 4.07 s.
// A warm push looks an object up under two names where it looked it up
// under one, and writes a small ids file per pack: within the noise here.
//
// Both issue figures are met. A cold 1% push reads what it read in
// format 3 (the tree packs its by-chunk entries name; a day's changed
// objects are new, so no short name is met and no data pack read:
// checked by counting reads); its times here are the load's. A cold full
// push reads and hashes every data pack whose objects it meets (19 packs,
// 0.8 MB stored, 40.9 MB of objects decompressed, 100,000 canonical-JSON
// hashes): about 1.1 s more at this load, paid once per cache (restore-db
// seeds it: TestRestoreSeedsIDs). The target of format 4 by kind of
// file: data packs 0.80 MB (19 files), tree packs 1.37 MB (11), index
// files 0.27 MB (11), records 4 KB (11); in format 3 tree packs were 2.33
// MB and index files 0.27 MB, data packs the same. What stands above the
// local database is now the trees: of their 1.37 MB some 0.87 MB are the
// 8-byte names of 109,000 leaf entries and delta changes, the rest keys,
// the nodes' 16-byte refs of their children and the chunks' headers; the
// index is about 2.5 bytes an entry. The objects themselves compress to
// 0.8 MB (the benchmark's items are much alike).
//
// Repair (# Repair) adds to a push in the common case one LIST of data/
// (after the LIST of index/; no tree is read, the local cache's damage
// files are absent). BenchmarkOffsite's warm 1% push, main at c64f8c3
// and this build, 6 pairs back to back on the shared 2-core machine at
// load 7.9 falling to 3.9 (bytes unchanged: 23,966 to 23,968 B a 1%
// push, 372 to 374 B an unchanged one):
//
//	before   0.054, 0.084, 0.079, 0.063, 0.053, 0.057 s   (median 0.060 s)
//	after    0.098, 0.096, 0.072, 0.072, 0.062, 0.053 s   (median 0.072 s)
//
// The first two pairs (load 7 to 8) account for most of the gap; the last
// four differ by -4 to +9 ms. Five earlier pairs at load 7 to 16 spread
// from 0.07 to 0.44 s either way and say nothing.
//
// restore-db files a workspace's history as a chain (internal/app's
// importAll): the first snapshot with a Put per object, each later one
// as the one before it plus what differs (snapshot.BeginFrom), which
// keeps the unchanged collections' roots and the unchanged chunks and
// builds only the chunks the changes fall in. What differs comes from
// the target: a collection whose root did not move is unchanged, one
// pushed as a delta on the previous snapshot's tree gives its changes
// (Restorer.Changes, which reads the delta and not its base), any other
// is compared by key with the previous snapshot as the new database
// holds it. Each distinct object is downloaded and checked once
// (PutHashed takes the checked id), in write batches of 20,000 objects;
// two chains (workspaces or daemon names) are imported at a time.
//
// Measured with BenchmarkOffsite (11 snapshots of 100,000 objects at 1%
// churn, file:// target, shared 2-core machine, the two runs back to
// back at load average 1.7 to 2.0):
//
//	                          restore-db   reading the target   plain copy
//	a Put per object          4.49 s       1.35 s               0.023 s
//	each on the one before    1.83 s       1.09 s               0.027 s
//
// Of the 1.83 s, reading the target (the key's derivation with argon2id
// at 64 MiB, the index, every tree chunk once, the packs, decrypting,
// decompressing and checking each object against its ref:
// restore-read-s) was 1.1 s, and only then did filing start. A profile
// of restore-db alone (internal/app's BenchmarkRestoreDB, which pushes
// the history once and labels restore-db for pprof -tagfocus) then cut:
//
//   - a write to the restore file and a read from it per object (0.4 and
//     0.35 CPU-s): each pack's content is now written whole, followed by
//     the ids of its objects, and read back through a few windows of
//     1 MiB (restore-db asks for objects in about the file's order);
//   - a new zstd stream decoder per pack whose output io.ReadAll grew
//     (a third of decompression's time): one shared decoder per limit,
//     DecodeAll sized from the frame's content size;
//   - a map of every needed ref, a list per pack and a map of prepared
//     objects: a flag per blob of each needed pack; the objects' ids live
//     in the restore file, not in memory;
//   - the wait for every pack before filing: packs are prepared in the
//     background in the order the trees name them, and filing waits only
//     for the pack of the object at hand;
//   - an fsync per commit of the new database (about 4 ms each on this
//     machine's disk, two a commit): nobody opens that file before it is
//     linked into place, so it is written without them and synced once
//     (internal/app's importAll).
//
// restore-db, before (main at 89c3e3b) and after, run back to back
// twice on the shared machine (load average 12 to 14: other builds and
// benchmarks; wall times move by 2x from run to run, CPU time less),
// against a plain copy of the target's 5.1 MB:
//
//	                    restore-db      reading the target   CPU time       plain copy
//	before              6.3 s, 10.7 s   3.0 s, 4.0 s         2.9, 3.4 s     0.19 s, 0.13 s
//	after               4.1 s, 1.5 s    1.5 s, 0.63 s        1.8, 1.7 s     0.08 s, 0.03 s
//
// BenchmarkOffsite itself, once each, back to back at load 7.3 to 8.6:
// restore-db 3.58 s before and 1.98 s after, reading the target 3.06 s
// and 1.21 s, a plain copy 0.22 s and 0.06 s. At a million items
// (BenchmarkRestoreDB -restore-db-items 1000000, 11 snapshots, load 7.9
// before and 8.6 after): restore-db 25.4 s and 21.3 s, its CPU time 26.2
// and 13.6 s, reading the target 12.6 and 8.0 s, a plain copy of the
// target 0.37 and 0.45 s (at that load, restore-db's wall time is
// half again its CPU time). At load 1.3 (before the last two cuts)
// restore-db of 100,000 items took 1.28 s, the plain copy 0.024 s.
//
// Of the 1.7 CPU-seconds left at 100,000 items, about 0.35 are
// argon2id (RFC 9106's 64 MiB: the price of a stolen key file being slow
// to attack), 0.2 decompressing, 0.2 hashing each object (its canonical
// JSON's SHA-256: the full id the database files it under, which the
// index's 16-byte refs do not hold), 0.3 reading the index and the trees,
// 0.7 the database's writer. On 2 cores restore-db cannot come near a
// plain copy, which only moves bytes: it is bound by that CPU, not by the
// target's read speed.
//
// Which check remains where: a pack is checked against its name (the
// SHA-256 of its stored bytes) and opened with AES-256-GCM, which
// authenticates it; its header must put each needed blob where the index
// does; each needed object's bytes must hash to its ref (the only check
// that catches a pack written by a holder of the key with bytes that do
// not match their name: TestRestoreDBRefusesForgedObject; an object's
// id is what Options.BlobID gives its bytes, never their plain SHA-256:
// whoever writes a tree chooses its names, so bytes named by their own
// hash must still be the form BlobID hashes, TestRestoreNamedByRawHash).
// The SHA-256 of the pack is redundant with GCM for restore and costs
// about 2 ms a 4 MiB pack; verify relies on it without the key.
//
// restore-db then stopped waiting for the whole of one phase before the
// next: the snapshot records and index files download while the key is
// derived (OpenPrefetching: they are checked against their names and
// decrypted when read, as before), 4 at a time, as are the packs of the
// snapshots' tree roots; the data packs download from the first one the
// trees name, while the rest of the trees is read, and filing starts at
// once (a pack's preparation therefore checks every object it holds, not
// only those named so far: the same objects in a restore of every
// snapshot); a first snapshot's objects are filed with one look-up
// each. Every check above stays where it was. Before (main at eba9b39)
// and after, back to back on the shared 2-core machine:
//
//	BenchmarkRestoreDB, 100,000 items, file://, 7 pairs at load 4 to 14
//	(-benchtime 5x: each figure the mean of 5 restores)
//	  before   2.03 2.35 1.42 2.10 2.95 3.55 2.79 s   mean 2.46 s
//	  after    1.69 2.40 1.63 2.57 3.90 3.28 1.54 s   mean 2.43 s
//	  CPU      1.54 s before, 1.65 s after, a restore (4 each, profiled)
//	  a plain copy of the target: 0.02 to 0.38 s
//	  once each, 3 more pairs at load 4.9 to 9.0: before 1.09, 2.38,
//	  1.54 s, after 2.47, 5.49, 0.99 s (CPU 1.47, 1.48, 1.34 s and 1.41,
//	  1.53, 1.35 s): at this load the spread is the machine's
//	BenchmarkOffsite (restore-db right after restore-read-s), once
//	each, 3 pairs at load 3.9 to 10.0
//	  before   2.20, 1.09, 1.42 s   (a plain copy 0.18, 0.16, 0.11 s)
//	  after    1.29, 0.88, 0.54 s   (a plain copy 0.11, 0.04, 0.04 s)
//	BenchmarkRestoreDB, 1,000,000 items, once each, load 9.9 to 12.8
//	  before   38.3 s, CPU 14.2 s, 435 MiB
//	  after    27.7 s, CPU 12.0 s, 413 MiB   (a plain copy 0.44 s, 0.48 s)
//	BenchmarkRestoreLatency (30 days of 2,000 items, DefaultKDF, every
//	request answered after 20 ms), 3 reads each, load 12 to 14
//	  before   2.86, 2.71 s
//	  after    0.82, 0.75 s   (1.14, 1.46 s opened with Open: no prefetch)
//
// At 100,000 items on a busy 2-core machine restore-db is bound by its
// CPU (about 1.4 to 1.7 s, unchanged: argon2id's 0.35 s, hashing each
// object, the database's writer), so running its phases at once gains
// little there: BenchmarkOffsite's pairs went from 1.1-2.2 s to
// 0.5-1.3 s, BenchmarkRestoreDB's showed nothing through the noise. It
// gains most where a phase waited on something else: a million items
// (the index and the trees take seconds) and a bucket across a network
// (a round trip a record, an index file, a tree pack). restore-db stays
// 10 to 30 times a plain copy of the target on this machine: what is
// left is CPU, not reading.
//
// Then two cuts of that CPU, every check where it was. Page faults
// (each first touch of a page: about 10 µs of CPU on this VM) were a
// fifth of restore-db's CPU, and nearly half of them argon2id's:
// golang.org/x/crypto/argon2 allocates its 64 MiB afresh for each
// derivation and faults in 16,384 pages (some 0.2 CPU-s; the
// derivation's own work is 0.05 s). A build warmed that memory before
// each derivation (a buffer of its size, huge pages asked for with
// madvise, touched, dropped and collected, so that IDKey's allocation
// reused its pages): a sixth to a fifth less CPU at 100,000 items in
// the figures below. It was dropped from every derivation: the
// huge-page advice stays on that range of the heap for the life of the
// process, and in the daemon,
// which derives a key for each push, any later fault there may stall on
// the kernel's compaction and memory the runtime gives back may be
// filled again (why the Go runtime stopped asking for huge pages on its
// heap in 1.21.1), and each derivation forced a collection. The figures
// below are that build's; without the warming, argon2id's faults cost
// what they did before. restore-db, a one-shot process, has since
// warmed it again (Options.WarmKDF; the end of # Figures). The refs
// restore resolves from
// tree chunks (a million at a million objects) live in an open-addressing
// table (refSlots: one cache miss an insert or look-up where the map took
// two; BenchmarkRefSlots, a million inserts and look-ups, 4 alternated
// runs at load 12.6: 1.10-1.68 s, median 1.28 s, against the map's
// 1.41-2.08 s, median 1.91 s; TestRefSlotsAsMap). Not kept: write
// batches of 100,000 objects (and 64 MiB) instead of 20,000 (CPU 1.04,
// 1.17, 1.21 s against 1.21, 1.09, 1.08 s: nothing), GOGC=200 (more
// faults and memory, no less CPU). The canonical form is already skipped
// for objects whose bytes are canonical (snapshot.ContentHash); the
// benchmark's are not (their keys are out of order), so each is
// canonicalised once.
// The binary (enspace-sync offsite restore-db on BenchmarkRestoreDB's
// targets; user and system time, minor faults from /usr/bin/time), main
// at ea69eea (before) and the build that warmed argon2id's memory
// (after; 166fe11 dropped the warming), alternated:
//
//	100,000 items, 6 pairs at load 5.8 to 6.6
//	  before   CPU 1.48-1.62 s (median 1.55), 33,860-36,023 faults,
//	           wall 1.67-4.92 s (median 2.05)
//	  after    CPU 1.02-1.31 s (median 1.27), 17,905-21,271 faults,
//	           wall 0.77-2.32 s (median 1.78)
//	100,000 items, 6 more pairs at load 8.0 to 9.5
//	  before   CPU 1.24-1.83 s (median 1.80), wall 2.75-5.67 s
//	  after    CPU 1.07-1.57 s (median 1.47), wall 3.18-4.75 s
//	1,000,000 items, 4 pairs at load 7.3 to 12.1 (the build before the
//	look-up order below)
//	  before   CPU 10.52-12.24 s (median 10.80), 130,000-149,000 faults,
//	           max RSS 556-644 MB, wall 12.4-29.5 s (median 21.2)
//	  after    CPU 10.54-10.99 s (median 10.67), 106,000-118,000 faults,
//	           max RSS 520-582 MB, wall 18.5-32.7 s (median 24.7)
//
// At a million items the CPU moved by less than its noise (argon2id is
// a small share there), and the wall time, two to three times the CPU
// time at these loads, was longer after in all four pairs: not
// explained, and not seen in the test process (BenchmarkRestoreDB at a
// million, argon2id warmed with and without the table (then a power of
// two long, at most three quarters full), 3 pairs at load
// 11 to 17: 67.9, 43.1, 29.6 s without, 29.7, 41.6, 17.8 s with). One
// cost the table has that the map had not: a ref it lacks is a probe
// along its entries (a million misses at three quarters full took
// 0.46-0.60 s against the map's 0.32-0.51 s), and lookup asked it first
// for every ref, the index's own included; it now asks the index's map
// first when the index's filter may hold the ref. That build (the
// warming still in), with that order, against main, alternated at load 12 to 14: 100,000 items, 4
// pairs, CPU 1.37-1.81 s (median 1.55) before, 1.09-1.61 s (median
// 1.37) after (in one run of the four the heap served IDKey from
// elsewhere: 33,928 faults, 1.61 s; the warming's kdfmem.go, since
// removed); a million items, 2 pairs, CPU 11.7 and 10.5 s before, 11.8 and 11.0 s after (faults
// 130,000-132,000 and 106,000-119,000; wall 38.7, 21.2 s and 30.3,
// 22.0 s). So, with the warming: a sixth to a fifth less CPU at
// 100,000 items, where argon2id weighs most; nothing measurable at a
// million.
//
// BenchmarkRestoreDB (in the test process, 100,000 items, argon2id
// warmed against main), 5 pairs at load 10 to 16: CPU 1.40-2.17 s
// (median 1.61) before, 1.15-1.34 s (median 1.25) after, with
// 13,800-18,500 faults (restore-db-faults, after). At this load wall times are the
// machine's (2.6 to 5.8 s for about 1.3 CPU-s), and none of these runs
// was on a quiet machine (internal/app's doc has restore-db at 0.685 s
// and 1.06 CPU-s at load 1.1 before). A plain copy of the target's 2.4
// MB took 0.02 to 0.5 s at these loads. Where the CPU goes now (one
// profile of restore-db, 100,000 items): preparing the packs 0.32 s
// (hashing each object 0.17 of it: its canonical JSON and SHA-256),
// the import and the database's writer and commits about 0.5 s,
// reading the trees 0.16 s, argon2id 0.04 s; the faults left (18,000)
// are the heap's growth and the new database's pages. From SeaweedFS
// on the same 2 cores (BenchmarkOffsiteS3, docs/testing.md) restore-db
// took 1.3 to 2.0 s against 0.07 to 0.09 s for a download of the same
// bytes 8 at once: 14 to 29 times, bound by its CPU, not by the
// bucket's read speed.
//
// Then restore-db's memory. Each pack is prepared in a scratch kept
// from pack to pack, one per processor (its decompressed content, its
// header, its ids, the ids file for the cache; a sync.Pool held only
// the content and lost it at every other collection), sealed packs are
// decrypted in their own memory, and checking a blob's place or an
// id against its name no longer moves the blob or the ref to the heap
// (a 32- and a 16-byte allocation an object). restore-db collects
// argon2id's 64 MiB as soon as the key is derived (internal/app, only
// there: a one-shot command; the daemon's pacing is left alone), where
// the next collection was due at twice it: the heap grew 62 MiB past
// it first. Why faults did not follow the heap: with perf record -e
// page-faults -d, every one of restore-db's 41,443 faults in the heap
// (BenchmarkRestoreDB, 100,000 items, main) was a distinct page, none
// faulted twice: 162 MiB of pages for a heap whose goal never passed
// 133 MiB. Go's page allocator takes the lowest free pages whether
// returned to the kernel or not, so a heap kept smaller (GOGC=25: 91.6
// MiB anon, 33 collections) still spread over 131 MiB of pages (34,600
// faults), and in BenchmarkRestoreDB, which returns the read phase's
// memory before restore-db starts (debug.FreeOSMemory), argon2id's
// freed pages lie above returned ones and are not taken first (42,032
// distinct pages after this change too): there the collection cuts the
// resident memory, not the faults. In a fresh process (the command)
// argon2id's pages are the heap's first and the restore takes them:
// enspace-sync offsite restore-db, 100,000 items, under perf, 36,870
// faults before (34,677 distinct heap pages) and 27,358 after (25,600;
// 276 of argon2id's 16,404 pages returned and faulted again).
// argon2id's own 16,400 faults were left as they were (# Figures above:
// the huge-page warming was dropped, and is back for restore-db alone
// at the end of # Figures; a copy of golang.org/x/crypto/argon2
// working in memory of its own is 2,800 lines of assembly to keep). Main at
// 15e8b9c (before) and this build, alternated, load 6.4 to 11.5:
//
//	BenchmarkRestoreDB, 100,000 items, -benchtime 3x, 7 pairs
//	  before   CPU 1.26-1.78 s (median 1.54), 41,598-45,607 faults
//	           (median 44,057), anon 140-170 MiB, 291-299 MiB
//	           allocated, 5-6 collections, wall median 2.78 s
//	  after    CPU 1.18-1.56 s (median 1.37), 38,660-44,802 faults
//	           (median 40,592), anon 97-118 MiB, 266-268 MiB
//	           allocated, 9-10 collections, wall median 2.61 s
//	BenchmarkRestoreDB, 1,000,000 items, 2 pairs
//	  before   CPU 9.48, 10.08 s, 129,624 and 119,103 faults, anon 471
//	           and 472 MiB, 2,684 and 2,692 MiB allocated, 18 collections
//	  after    CPU 8.31, 9.47 s, 119,730 and 118,327 faults, anon 434
//	           and 450 MiB, 2,281 and 2,286 MiB allocated, 20 collections
//	enspace-sync offsite restore-db (user+sys, minor faults, max RSS), 100,000 items, 4 pairs
//	  before   1.24-1.45 s (median 1.35), 34,124-37,114 faults, 163-176 MB
//	  after    1.22-1.57 s (median 1.40), 26,900-36,779 faults, 134-159 MB
//	the same, 1,000,000 items, 3 pairs
//	  before   9.6, 10.0, 11.8 s, 121,576-122,788 faults, 515-526 MB
//	  after    10.5, 11.3, 9.7 s, 110,078-136,823 faults, 488-596 MB
//
// So: a tenth (100,000 items) to a seventh (a million) less allocated,
// a third less resident memory at 100,000 items, a tenth fewer faults
// in the benchmark's and the command's medians at 100,000 items (34,700
// to 31,900 in the command); CPU a tenth less in the benchmark's
// medians and unchanged through the noise in the command's (at these
// loads a tenth is within the noise of a single pair). Of the command's
// 27,000 to 37,000 faults at 100,000 items, 16,400 are argon2id's and
// the rest the heap beyond them (the index, the trees, the import and
// the database's writer: a heap goal of twice their live 30 to 55 MiB).
//
// The local database's writer as restore-db drives it: a filing of the
// blob index rewrites every group its entries land in, and a new
// database's random hashes land in all of them, so at a million objects
// the backup's limit (65,536 entries waiting) filed the whole index 13
// times, 7.3 million entries written. restore-db now lets 262,144 wait
// (snapshot.Options.UnfiledBlobs: 17 MiB of table at most, against 4)
// and files the rest before it closes the database
// (snapshot.DB.FileBlobIndex: the file it links has none waiting): 4
// filings, 2.8 million entries. BenchmarkImportChain (internal/snapshot:
// the writer alone, driven as restore-db drives it, a million objects
// and ten days at 1%), 8 pairs alternated at load 5 to 10: CPU
// 4.66-6.85 s (median 5.66) before, 3.59-5.41 s (median 4.78) after,
// lower in every pair; faults 132,600-139,600 before, 102,800-117,400
// after. In BenchmarkRestoreDB the gain (the filing was 0.55 of its 10.6
// CPU-s in main's profile at a million) is under this machine's noise:
// a million items, 3 pairs at load 7 to 9, CPU 9.07-11.02 s (median
// 10.06) before, 8.53-11.25 s (median 10.20) after, faults
// 118,900-122,100 and 118,000-120,100, anon 452-476 and 486-491 MiB;
// 100,000 items (one filing either way), 3 pairs, CPU 1.22-1.31 s and
// 1.25-1.40 s. Of the pwrite calls in main's profile at a million (0.54
// s), bbolt's commits made 0.10 s; the rest were the Restorer's. What
// the writer costs at a million after this (BenchmarkImportChain's
// profile, load 8): the batches 2.5 s (their lookups 0.55, the packs'
// compression 0.55, the write transactions 0.5, the filings 0.7), the
// based commits' trees 0.86 s (patchOver 0.5; a full tree the day the
// patch would pass 65,536 entries), the first commit's 0.2 s.
//
// Then the reading of the trees and the import's walk of them, every
// check where it was. The reading (Restorer.discover), the resolution of
// index entries given by chunk and prune follow refs alone: they decode
// tree chunks without their keys (decodeRefs, which checks what
// decodeChunk checks: FuzzDecode compares them), where a string a key
// was built and dropped; decodeChunk builds a chunk's keys into one
// buffer and sizes its lists once; the restore notes the index's
// by-chunk entries a run of one chunk at a time (a map assignment an
// entry) and sizes the cache file of resolved refs once. And a look-up
// of the import ahead of the reading (a pack prepared before the reading
// reached every chunk naming its objects) waited for every tree of every
// snapshot to be read: at a million objects the import of the first
// snapshot stood still for most of the reading (an execution trace: 2 s
// of the import's goroutine blocked there), so that its single-threaded
// tail ran after every pack was prepared. It now waits for the chunk
// that names its object (woken every 64 chunks and at the end of each
// tree; TestRestoreWalkAheadOfDiscover). In the profile of a
// million-item restore-db the reading took 1.20-1.28 CPU-s (1.57
// before): decoding 0.12-0.25 s (0.58), the resolved refs' file 0.13 s
// (0.27), noting the by-chunk entries 0.14 s (0.23). BenchmarkRestoreDB
// (in the test process), main at 15e8b9c before, alternated on the
// shared 2-core machine:
//
//	1,000,000 items, 4 pairs at load 8.1 to 10.2 (the last two with
//	every change, the first two without the by-chunk runs)
//	  before   CPU 8.57-10.68 s (median 9.43), wall 12.2-18.8 s (median
//	           17.7), 116,000-135,000 faults, anon 462-529 MiB
//	  after    CPU 8.55-9.93 s (median 9.35), wall 10.8-16.5 s (median
//	           13.7), 128,000-132,000 faults, anon 508-523 MiB
//	100,000 items, -benchtime 3x, 5 pairs at load 7.9 to 9.4
//	  before   CPU 1.22-1.31 s (median 1.28), 40,900-45,100 faults
//	  after    CPU 1.24-1.33 s (median 1.25), 43,200-45,900 faults
//
// So a tenth to a third less wall time at a million items in each pair
// (the medians 23%) and no measurable change of the CPU time (the cuts
// above, some 0.5 CPU-s in the profiles, are within this load's noise of
// a second); at 100,000 items the trees are 0.16 CPU-s and nothing
// moved. The import now runs while the trees are read, so its memory
// adds to theirs: the peak is about 6% higher at a million items (the
// medians 489 and 518 MiB), with some 10,000 more faults.
//
// Then the canonical form that hashes each object (jsonv; branch
// canon35): it copies the input's bytes it keeps in runs, written only
// where the form departs from the input, sorts members that hold no
// pointers on their keys' first eight bytes, and snapshot.ContentHash
// takes it in one pass (jsonv.CanonicalForm) instead of IsCanonical and
// then AppendCanonical. The output is the same for every input
// (FuzzCanonicalSameAsBefore against the code it replaced, 2.9 million
// inputs; the golden hashes). 17,460 instructions before and 10,816
// after for one of the benchmark's items (valgrind). BenchmarkRestoreDB,
// main at 15e8b9c (before) against that build on it (after; both
// without the memory changes above, measured before they were merged),
// alternated, load 5.7 to 10.4:
//
//	1,000,000 items, 4 pairs (3 profiled)
//	  before   CPU 8.70-11.89 s (median 9.89), 121,000-136,000 faults,
//	           anon 480-529 MiB, wall 12.7-20.8 s
//	  after    CPU 8.41-10.31 s (median 9.56), 111,000-121,000 faults,
//	           anon 441-464 MiB, wall 15.0-17.8 s
//	  ContentHash (profiles) 1.51, 1.54, 1.99 s before (the canonical
//	  form 1.14, 1.15, 1.53 s), 1.36, 1.13, 1.14 s after (0.95, 0.68,
//	  0.75 s); SHA-256 0.3-0.47 s either way
//	100,000 items, 8 pairs (-benchtime 3x)
//	  before   CPU 1.22-1.71 s (median 1.31)
//	  after    CPU 1.20-1.61 s (median 1.34)
//	  ContentHash (2 profiled pairs) 0.18 s a restore before, 0.13 after
//
// Rebased on main at 8da3684 (the memory changes above) and against it,
// alternated at load 2.9 to 8.2 (a plain copy of the target 0.03-0.42 s):
//
//	1,000,000 items, 4 pairs
//	  before   CPU 7.31-8.74 s (median 7.53), 110,000-133,000 faults
//	           (median 119,700), wall 5.2-13.0 s (median 8.2)
//	  after    CPU 6.78-7.81 s (median 6.96), 107,000-131,000 faults
//	           (median 117,400), wall 6.8-7.7 s (median 7.4)
//	100,000 items, 4 pairs (-benchtime 3x)
//	  before   CPU 1.14-1.20 s (median 1.16), 40,300-43,400 faults
//	  after    CPU 0.99-1.17 s (median 1.12), 38,300-40,200 faults
//
// So about a third of the canonical form's CPU and a quarter of
// ContentHash's, 0.3-0.6 CPU-s at a million objects (5-8%); at 100,000
// the 0.05 s it saves is at the edge of the machine's noise. The fewer
// faults after, in every 100,000-item pair, are not explained (the
// canonical form allocated nothing before either). Backup gains too (its
// client canonicalises every object of a page through the same code):
// cmd/bench -backup-only, 2 pairs of 3 runs, backup CPU medians 0.858
// and 0.856 s before, 0.749 and 0.795 s after. What is left of hashing
// at a million: the form 0.7-0.95 s (its sort a third of it), SHA-256
// 0.3-0.47 s (with SHA-NI).
//
// The four changes above together, main at 15e8b9c (before) and at
// bfc62f8 (after) alternated on an idle machine (load 0.2 to 1.4):
//
//	BenchmarkRestoreDB, 100,000 items, -benchtime 3x, 4 pairs
//	  before   CPU 1.30-1.42 s (median 1.38), wall 0.85-0.94 s, faults
//	           39,800-46,300, anon 151-174 MiB
//	  after    CPU 1.18-1.31 s (median 1.24), wall 0.76-0.95 s, faults
//	           38,300-42,800, anon 109-135 MiB
//	  a plain copy of the target's 2.4 MB 0.023-0.042 s
//	BenchmarkRestoreDB, 1,000,000 items, 2 pairs
//	  before   CPU 8.27, 9.23 s, wall 5.03, 5.90 s, faults 136,400 and
//	           121,600, anon 539 and 466 MiB
//	  after    CPU 7.52, 8.43 s, wall 4.63, 5.20 s, faults 128,900 and
//	           120,400, anon 497 and 485 MiB
//	  a plain copy of the target's 24.4 MB 0.07-0.12 s
//	BenchmarkOffsiteS3 (weed on the same 2 cores), once each: old, new,
//	new, old, load 0.8 to 1.1
//	  restore-db 0.86 and 0.66 s before, 0.63 and 0.67 s after; a
//	  download of every object 8 at once 0.04-0.05 s (one at a time
//	  0.09-0.11 s)
//
// A tenth less CPU at both sizes; restore-db stays 12 to 19 times a
// download from the bucket and about 30 times a copy of a file://
// target, bound by its CPU: at a million objects hashing each object
// (some 1.1 s of canonical form and SHA-256), the database's writer
// (about 2.5 s), the trees (1.2 s) and the collector.
//
// restore-db then warmed argon2id's memory again (Options.WarmKDF,
// kdfmem.go), for itself alone: a process that exits when the database
// is built keeps the huge-page advice for no longer than that, and the
// daemon's derivations stay cold (TestWarmKDF checks both, each in a
// process of its own). A profile at 100,000 items had argon2id at some
// 0.29 of restore-db's 1.06 CPU-s, most of it the first touch of its
// 16,384 pages. Main at 4d16765 (before) and this build, alternated on
// an idle machine (load 0.3 to 1.4):
//
//	BenchmarkRestoreDB, 100,000 items, -benchtime 3x, 8 pairs
//	  before   CPU 1.11-1.43 s (median 1.24), wall 0.71-0.92 s (median
//	           0.81), faults 38,700-43,600, anon 107-144 MiB
//	  after    CPU 0.84-1.21 s (median 1.10), lower in all 8 pairs, wall
//	           0.57-0.80 s (median 0.78), faults 17,700-29,000, anon
//	           81-116 MiB
//	  a plain copy of the target's 2.4 MB 0.024-0.046 s
//
// At a million items the faults fell by the same 15,000 (130,000 to
// 134,000 before, 115,000 to 119,000 after) and the CPU did not move
// beyond its noise (8.1 to 10.0 s either way, 2 pairs at load 5 to 7).
//
// # Caveats
//
// Push, verify, prune and restore hold the target's index in memory: the
// decoded lists (28 bytes a blob or tree chunk) and a map from ref to
// place, 56 bytes a blob (BenchmarkIndexMemory, 1,000,000 blobs; 201
// bytes when each entry held a copy of its location): about 85 MB for a
// million distinct objects. Format 3 adds, while the index loads, 24
// bytes per entry given by chunk (its source) and the tree chunks those
// entries name (push drops both once the refs are filled in; prune keeps
// the sources to write them again). Restore keeps the sources until every
// tree is read, and 16 bytes per such entry (its resolved ref, apart from
// the index, which its readers do not lock) for the whole restore.
//
// Restore adds, for the snapshots it restores: every tree chunk of the
// packs that hold them, as stored (about 40 MB for a million-object
// tree), a pointer per pack of the index, 4 packs in flight, a pack's
// content (about 4 MiB), header and ids per processor to prepare packs
// in (until every pack is prepared), 8
// read windows of 1 MiB, the place of each entry of the leaf chunks read
// (8 bytes an entry, until the import of the snapshot walks the chunk,
// CollectionObjects or CollectionEntries, or the restore ends); the
// objects themselves and their ids wait in the
// restore file on disk (about the size of the decompressed packs plus 32
// bytes a blob). restore-db keeps no snapshot's entries from one import
// to the next (it compares a full tree with the previous snapshot as the
// new database holds it). BenchmarkRestoreDB (internal/app) measures the
// peak anonymous memory of restore-db; figures in internal/app's doc.
//
// Tree chunks, and objects under a long name, are told apart by their
// first 16 bytes (format 1 kept full ids in index entries and failed a
// push that met two ids with one ref; the index no longer has the rest).
// Two of 2^32 objects share them with a chance of about 2^-64, and making
// two objects that do takes some 2^64 hashes. Objects under a short name
// (8 bytes) are deduplicated only when confirmed by their full id (#
// Formats); what stays is the ambiguity two pushes at once can leave,
// which verify --read-data reports. Restore checks each object's name
// against the hash of its bytes. While a pack is missing or damaged, the
// trees that named its objects still name them: a push gives no new
// object a short name then (it takes its long name until the repair and
// the prune after it), so that no other object can come to answer to a
// lost one's name (TestShortNameOfLostPackNotReused). A missing or
// unreadable index file hides its packs' names from every reader, and
// this guard does not see it: until the push that re-pushes the
// snapshots it leaves incomplete (which names their objects as before),
// another object could take such a name by an 8-byte match (verify
// reports the index file meanwhile). An id whose bytes 8 to 16 are zero is written as
// a short name and so is deduplicated only when confirmed
// (TestZeroTailIDConfirmed).
//
// A push keeps the full ids of the packs it uploads, and of those whose
// short names it confirmed, until it ends (about 40 bytes a blob: a
// first or cold push of a million objects holds some 40 MB more).
//
// A delta builds on its base's tree as the index lists it: a base whose
// trees verify found damaged (or prune could not read) passes that on to
// the deltas built on it until the next full tree (at most 16 pushes
// later). Verify names every snapshot such damage reaches.
//
// The cache holds those ids on disk (ids/<pack>: 36 to 40 bytes a blob,
// sealed).
//
// A local record can change after its push: a later backup that flags a
// drop protects the snapshot before it. Push compares each pushed
// record with the local one and writes a changed one again (the trees
// stay), then deletes the old; until then both exist, and restore-db
// takes the newest (Snapshots lists records of one snapshot newest
// pushed first). restore-db keeps each snapshot's id, times, status, errors,
// counts, changes, anomalies, protection and healed list.
package offsite
