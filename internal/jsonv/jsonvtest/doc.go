// Package jsonvtest holds the tests that check, across packages, that the
// store, diff and restore agree on which JSON values are equal, as package
// jsonv defines it. It has no code of its own.
package jsonvtest
