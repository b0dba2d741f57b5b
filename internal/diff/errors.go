package diff

import (
	"errors"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// Sentinel errors. Callers test them with errors.Is; the returned errors
// name the object or the path concerned.
var (
	// ErrInvalidJSON is returned when an object's stored JSON does not
	// parse; the error names the kind, parent and key of the object.
	// It is jsonv.ErrInvalid.
	ErrInvalidJSON = jsonv.ErrInvalid
	// ErrBadPath is returned for a KindInfo path (LabelFields,
	// ServerAssigned, Unordered) that does not follow the path syntax.
	// It is jsonv.ErrBadPath.
	ErrBadPath = jsonv.ErrBadPath
	// ErrBadPair is returned for a pair with neither an old nor a new side,
	// or a pair given twice.
	ErrBadPair = errors.New("bad pair")
)
