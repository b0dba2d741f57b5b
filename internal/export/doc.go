// Package export writes a portable copy of one workspace: plain files that
// any tool can read without enspace-sync.
//
// The caller feeds objects one by one with Writer.Put; the package knows
// nothing of the API or of snapshots. The output is a directory, the same
// tree inside a .tar.gz or .tar.zst file (NewArchive; ArchiveCompression
// picks the compression by the output's name), or an archive streamed to
// an io.Writer:
//
//	manifest.json          format_version, workspace, environment, source,
//	                       created_at, counts per kind, and every other
//	                       file with its sha256, size and object count
//	<kind>.ndjson          one {"parent", "key", "object"} line per object
//	items/<type>.ndjson    one raw item object per line
//
// Format "json" writes the same files with a .json suffix, each a JSON
// array of the same values. Format "csv" writes items/<type>.csv with a
// header of "id" and the field slugs (set with Writer.SetFields) and one
// row per item, its id first;
// other kinds stay ndjson.
//
// Read reads an export back (for restore --from-export): it checks every
// file against the manifest (SHA-256, size, object count, names) in a
// first pass and hands the objects over only in a second one, so a damaged
// export delivers nothing. Gzip and zstd are told apart by their magic
// numbers, not by the name. Archives are read as streams, never extracted;
// their data files must come in manifest order, as Writer writes them. CSV
// item files, sparse or linked archive entries and newer format versions
// are refused.
//
// Archives are written at the speed of their compressor. Each file's
// bytes are compressed while Put writes them, in independent 256 KiB
// blocks on one worker per CPU, into the staging directory; Close only
// compresses the tar headers and concatenates. Every block is a complete
// gzip member or zstd frame: both formats define concatenated members as
// one stream, so gzip, zstd, tar and Go's readers see a plain tar. The
// cost is some ratio: at 100,000 items the .tar.gz is 3.52 MiB against
// 3.17 MiB for the standard library's gzip in one stream (and 3.25 for
// tar czf). Nothing beyond klauspost/compress is needed (no pgzip): its
// gzip is faster than the standard library's, and zstd comes with it. The staged parts of an
// archive are not synced; the archive is, before its rename.
//
// Caveats:
//
//   - Memory does not grow with the number of objects: every output file is
//     a temporary file streamed to disk and hashed while written. One file
//     stays open per output file, so a workspace with very many types holds
//     as many descriptors, and, for an archive, up to one 256 KiB block
//     per file being filled and a few per file being compressed.
//   - Nothing ever appears under the final name before Close succeeds. The
//     output is built under "<path>.tmp-<random>" (and, for archives,
//     "<path>.tmp-<random>.d") and renamed into place after fsync. A killed
//     process leaves only those temporary names behind; they are never read
//     and can be removed by hand.
//   - A Writer is safe for concurrent use, but Put calls are serialised.
//   - Object bytes are checked to be JSON and compacted; string contents are
//     kept byte for byte (no HTML escaping, no re-encoding).
package export
