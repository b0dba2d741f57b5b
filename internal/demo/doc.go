// Package demo is the guided tour of `enspace-sync demo`: it starts the
// built-in fake Enspace API, writes a config for it, and walks through a
// backup, a person's changes, the anomaly alarm, a diff, a restore, a
// replication and an export.
//
// Each step calls the program's core (internal/app) as the command named
// in the step would, prints that command and what it returned (rendered
// with the same renderers as the command line: app.SnapshotLines,
// diff.WriteText, restore.WriteText), and checks the returned values, never
// printed text: a check that fails stops the tour with "demo step N
// failed".
package demo
