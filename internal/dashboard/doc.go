// Package dashboard serves the web dashboard of enspace-sync: an
// http.Handler that renders, from the core's browse use cases (Source,
// which *app.Service implements), the pages
//
//	/                                   every workspace and replication
//	/workspaces/{ws}                    charts and the list of snapshots
//	/workspaces/{ws}/snapshots/{id}     counts, changes, anomalies
//	/compare/{from}/{to}                any two snapshots of a workspace
//	/objects/{selector}?workspace=NAME  one object's history (log)
//	/storage                            database size, additions, dedup
//
// The daemon mounts it behind its listener's guard, and `enspace-sync ui`
// serves it from a read-only database on a loopback port.
//
// # Decisions
//
// Pages are html/template files embedded in the binary, styled by one
// inline stylesheet: no CDN, no script, nothing fetched, so the dashboard
// works air-gapped and under a Content-Security-Policy that forbids
// scripts. Charts are SVG drawn on the server (chart.go), one circle per
// point with a data-value attribute equal to the value and a <title> for
// its tooltip; a viewBox lets them scale with the page at any zoom.
// Tables scroll sideways inside their box rather than the page.
// Snapshot ids and selectors are in the path, so every page is a
// shareable URL; the only query parameter is an object's workspace,
// which may be left out when the config has one (as for `log`).
//
// The handler serves paths with its base removed and writes links with
// Options.Base, so it can sit under a secret prefix (http.StripPrefix).
// Every page is rendered into a buffer before it is sent: a failure is a
// whole error page with its status (404 for an unknown snapshot,
// workspace or object, 400 for a bad selector, 500 otherwise), never half
// a page.
//
// # Caveats
//
// A snapshot page compares the snapshot with the one it was compared with
// when taken (the previous complete snapshot); its anomalies' restore
// commands are found again with the workspace's current threshold, and an
// anomaly that no longer matches shows the diff command instead. Pages
// with tens of thousands of changes are long: values longer than 80
// characters are folded into <details>.
package dashboard
