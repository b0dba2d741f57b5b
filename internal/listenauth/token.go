package listenauth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// TokenFileMode is the mode of the token file the daemon creates.
const TokenFileMode = os.FileMode(0o600)

// MinTokenLen is the length below which a configured token is refused.
const MinTokenLen = 16

// maxTokenFile bounds what ReadToken reads.
const maxTokenFile = 4 << 10

// Sentinel errors.
var (
	// ErrTokenReadable is returned by ReadToken for a token file that its
	// group or others may read or write.
	ErrTokenReadable = errors.New("the token file is open to its group or others")
	// ErrTokenInvalid is returned by ReadToken for a file that holds no
	// usable token (empty, too short, several lines, control characters).
	ErrTokenInvalid = errors.New("the token file holds no usable token")
)

// ReadToken reads the token in the file at path. It refuses a file whose
// group or others have any permission (ErrTokenReadable) and one that
// holds no usable token (ErrTokenInvalid). A missing file is an error
// that wraps os.ErrNotExist; one the caller may not read wraps
// os.ErrPermission.
func ReadToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the listener's token: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read the listener's token: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("read the listener's token %s: %w: not a regular file", path, ErrTokenInvalid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s has mode %04o: %w (chmod 600 %s)", path, fi.Mode().Perm(), ErrTokenReadable, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("read the listener's token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case len(b) > maxTokenFile:
		return "", fmt.Errorf("%s: %w: larger than %d bytes", path, ErrTokenInvalid, maxTokenFile)
	case len(tok) < MinTokenLen:
		return "", fmt.Errorf("%s: %w: shorter than %d characters", path, ErrTokenInvalid, MinTokenLen)
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", fmt.Errorf("%s: %w: spaces or control characters", path, ErrTokenInvalid)
	}
	return tok, nil
}

// LoadOrCreateToken reads the token file at path, creating it first with
// a new random token and mode 0600 when it does not exist. Two processes
// that race to create it read the same token: the file appears whole or
// not at all (written aside, then linked into place).
func LoadOrCreateToken(path string) (string, error) {
	tok, err := ReadToken(path)
	if !errors.Is(err, os.ErrNotExist) {
		return tok, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".listen.token-*")
	if err != nil {
		return "", fmt.Errorf("create the listener's token: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(TokenFileMode)
	if err == nil {
		_, err = tmp.WriteString(NewSecret() + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create the listener's token: %w", err)
	}
	return ReadToken(path)
}

// NewSecret returns 32 random bytes in hex: tokens, session ids, CSRF
// tokens and one-time logins.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b[:])
}
