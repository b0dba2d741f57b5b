// Package browsertest holds the dashboard's tests in a real browser:
// headless Chromium driven by chromedp loads every page, served from a
// database of real backups (the demo's tour against the fake Enspace API),
// and checks what a reader sees: the workspaces, the change rows, the
// anomaly with its restore command, chart points equal to the snapshot
// counts, a layout that fits at 200% zoom, and no console errors.
// Screenshots go under each test's t.TempDir().
//
// The tests skip when no Chromium is installed, and fail instead when
// ENSPACE_REQUIRE_BROWSER=1 (as CI sets it). TestUIInBrowser runs the
// real binary: `enspace-sync demo --keep`, then `enspace-sync ui`.
// BenchmarkPages measures the overview and a snapshot page of a large
// database built directly through the snapshot package.
package browsertest
