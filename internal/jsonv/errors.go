package jsonv

import "errors"

// Sentinel errors. Callers test them with errors.Is; the returned errors
// say what was wrong and where.
var (
	// ErrInvalid is returned by Decode and Canonical for input that is not
	// one JSON value: invalid JSON, an empty input, data after the value,
	// nesting deeper than 10,000.
	ErrInvalid = errors.New("invalid json")
	// ErrBadPath is returned by ParsePattern for a path that does not
	// follow the pattern syntax.
	ErrBadPath = errors.New("bad path")
)
