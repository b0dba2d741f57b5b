// Command bench measures enspace-sync, the real program in child processes,
// against an in-process fake Enspace API and prints a Markdown table of the
// medians of several runs:
//
//	go run ./cmd/bench [-items N] [-runs 3] [-restore-items N] [-memory-items N] [-type-plan SLUG] [-bin PATH]
//	go run ./cmd/bench -export-only [-items N] [-runs 5]
//	go run ./cmd/bench -backup-only [-items N] [-runs 3] [-memory-items 0]
//	go run ./cmd/bench -storage-only [-items N] [-runs 3] [-keep]
//
// Figures, at 20 ms latency and concurrency 8:
//   - a backup of N items against the API-bound ideal (list pages x latency
//     / concurrency), its requests, the child's peak resident memory and the
//     CPU the child and the fake used (to tell CPU-bound from API-bound);
//   - the same backup against a bare pager: this program run again as a
//     child (`bench pager FILE URL KEYFILE`) that sends the very GETs the
//     backup sent (recorded by the fake's handler), concurrency at a time,
//     and discards the bodies, -pager-runs times (default 3). Its median
//     wall time and median CPU (user and system, from the child's rusage)
//     are the floor of a backup that decodes, hashes and stores nothing
//     (targets: backup wall at most 1.1 times, backup CPU at most 4 times
//     the pager's). One pager run takes about 0.2 CPU-s, which a busy
//     machine moves by 15 – 30% from run to run: the median of three
//     steadies the ratio's denominator. The 1-minute load average before
//     each backup is a row of its own, and so are the minor page faults of
//     the backup and of the pager (median), from rusage: on the shared
//     2-core test machine a first touch of a page costs some 10 µs of CPU;
//   - storage over 10 daily snapshots with 1% of the items changed each
//     day (checked against each backup's own change summary): the database
//     against the zstd size of every distinct object version that existed
//     (each line of each day's ndjson export, compressed alone), against the
//     one-stream floor (every distinct version, in the order first seen, as
//     one zstd stream; target: the database at most 3 times it), and
//     against restic backing up the same export directory each day, when
//     the restic binary is on PATH (target: at most 0.2 times its
//     repository; "restic not installed" otherwise);
//   - the diff command for 10 and for 10,000 changed items;
//   - export of the latest snapshot to a directory, a .tar.gz and a
//     .tar.zst, against `tar czf` of the exported directory on the same
//     machine (target: at most 1.5 times tar's wall time);
//   - restore throughput: a type of -restore-items items deleted and
//     restored from the snapshot before (objects and writes per second);
//   - once, not per run, on a workspace of -memory-items items (0 skips
//     it): a first and an unchanged second backup, then `verify`, and the
//     restore plans (`restore --dry-run`) of one contract and of the type
//     -type-plan ("" skips it; long at a million items), each with its
//     wall time, CPU, peak anonymous resident memory (RssAnon sampled from
//     /proc every 20 ms: the heap, without the mapped database pages that
//     the peak RSS also counts) and the requests the fake received.
//
// With -export-only, one backup then -runs rounds of the export figures;
// with -backup-only, -runs rounds of the first backup and the bare pager
// (then the once-only rows, unless -memory-items is 0);
// with -storage-only, -runs rounds of a first backup and the 10 days.
//
// The fake serves from this process on the same machine: its CPU competes
// with the program's. Temporary files go under the system temp directory
// and are removed at the end.
package main
