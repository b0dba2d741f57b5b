package offsite

import "errors"

// Errors, matched with errors.Is.
var (
	// ErrNotExist is an object, target or snapshot that is not there.
	ErrNotExist = errors.New("not found")
	// ErrExist is an object that Backend.Create found already there.
	ErrExist = errors.New("already exists")
	// ErrPassword is a password that opens none of the target's keys.
	ErrPassword = errors.New("wrong password: it opens none of the target's keys")
	// ErrNoRepository is a target with no repository yet (no keys/).
	ErrNoRepository = errors.New("no offsite repository at the target")
	// ErrCorrupt is an object that does not decrypt, decode or hash to its name.
	ErrCorrupt = errors.New("corrupt offsite object")
	// ErrLocked is a lock held by another process that conflicts with ours.
	ErrLocked = errors.New("target is locked")
	// ErrLocalCorrupt is a local object whose bytes do not hash to its
	// id: push refuses to upload it under that id.
	ErrLocalCorrupt = errors.New("local object does not hash to its id")
	// ErrLockLost is a lock this process held that lapsed or was removed
	// while it worked: it stops before publishing anything.
	ErrLockLost = errors.New("lost the lock on the target")
	// ErrInvalid is a bad URL or option.
	ErrInvalid = errors.New("invalid")
)

func isNotExist(err error) bool { return errors.Is(err, ErrNotExist) }
