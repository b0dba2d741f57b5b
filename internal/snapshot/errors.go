package snapshot

import "errors"

// Sentinel errors. Callers test them with errors.Is; the returned errors carry
// the details (which snapshot, which holder, which version).
var (
	// ErrNotFound is returned when a snapshot reference, a run or a blob
	// matches nothing.
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous is returned when a snapshot id prefix matches several
	// snapshots; the error lists the candidates.
	ErrAmbiguous = errors.New("ambiguous snapshot reference")
	// ErrBadRef is returned for a reference that cannot name a snapshot
	// (a prefix shorter than 4 characters, a malformed "latest~N").
	ErrBadRef = errors.New("bad snapshot reference")
	// ErrLocked is returned by Open when another process holds the database
	// lock beyond the timeout; the error names the holder when known.
	ErrLocked = errors.New("database is locked")
	// ErrNewerFormat is returned by Open when the database was written by a
	// newer build with a format this build does not understand.
	ErrNewerFormat = errors.New("database format is newer than this build understands")
	// ErrReadOnly is returned by writing methods of a database opened read-only.
	ErrReadOnly = errors.New("database is open read-only")
	// ErrRunFinished is returned by a Writer used after Commit or Abort.
	ErrRunFinished = errors.New("run already finished")
	// ErrInvalid is returned for input the store refuses: invalid JSON, an
	// empty kind, a key too long, a NUL byte in a name.
	ErrInvalid = errors.New("invalid input")
	// ErrCorrupt is returned when stored data is missing or does not decode.
	ErrCorrupt = errors.New("database is damaged")
)

// detailError gives a sentinel a message of its own while errors.Is still
// recognises the sentinel.
type detailError struct {
	sentinel error
	msg      string
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.sentinel }
