package diff

import "errors"

// Sentinel errors. Callers test them with errors.Is; the returned errors
// name the object or the path concerned.
var (
	// ErrInvalidJSON is returned when an object's stored JSON does not
	// parse; the error names the kind, parent and key of the object.
	ErrInvalidJSON = errors.New("invalid json")
	// ErrBadPath is returned for a KindInfo path (LabelFields,
	// ServerAssigned, Unordered) that does not follow the path syntax.
	ErrBadPath = errors.New("bad path")
	// ErrBadPair is returned for a pair with neither an old nor a new side,
	// or a pair given twice.
	ErrBadPair = errors.New("bad pair")
)
