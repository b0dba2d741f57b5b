// Command soak runs the long reliability checks of enspace-sync against the
// real program and an in-process fake Enspace API, and prints one Markdown
// table of figures per part:
//
//	go run ./cmd/soak [-crash N] [-restore-crash N] [-faults N] [-kill-commit N] [-kill-maintenance N] [-bitrot N] [-items N] [-only PART] [-bin PATH]
//
// The parts are crash (backups killed with SIGKILL at random moments),
// restore-crash (restores killed at a random write and run again), faults
// (backups through 429s, 5xx, resets, truncated bodies and paging drift),
// bad-input (malformed configs and malformed API answers), secrets
// (planted keys and integration secrets searched for in everything the
// program leaves behind), kill-commit (backups that flag a deletion killed
// around their commit: no anomaly or protection lost), kill-maintenance
// (forget --prune, prune and db compact killed at random moments) and
// bitrot (one byte of a stored object damaged, healed by the next backup;
// a deleted chunk refused). The last three have tests of their own
// (TestKillAtDeletionCommit, TestKillMaintenance, TestBitRotHeals), longer
// with ENSPACE_SOAK_LONG=1. It exits 1 when a safety figure is not zero:
// corrupt databases, half-visible snapshots, duplicated or missing objects,
// retries sent before a Retry-After ran out, bad input stored or answered
// with a panic, secrets found.
//
// The program under test is built once from the module root with go build,
// unless -bin names one. The defaults are short, for CI; the figures in the
// README come from larger counts. Everything listens on loopback only.
package main
