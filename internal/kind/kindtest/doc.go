// Package kindtest holds the test that adds a synthetic kind to the kind
// table, in one place, and follows it through backup, diff, restore and
// replicate against the fake server. It has no code of its own.
package kindtest
