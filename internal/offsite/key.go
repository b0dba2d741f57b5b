package offsite

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// KDF are the argon2id parameters a key file stores beside its salt.
type KDF struct {
	Time    uint32 `json:"time"`
	Memory  uint32 `json:"memory"` // KiB
	Threads uint8  `json:"threads"`
}

// DefaultKDF is argon2id's first recommended setting (RFC 9106, 4.):
// one pass over 64 MiB on 4 lanes, some 100 ms on the test machine.
var DefaultKDF = KDF{Time: 1, Memory: 64 << 10, Threads: 4}

// keyFile is a keys/<random id> object: the master key sealed under a key
// derived from a password. It is the one object stored in clear, and holds
// nothing but the KDF's parameters and the sealed key.
type keyFile struct {
	Version int       `json:"version"`
	KDF     string    `json:"kdf"`
	Params  KDF       `json:"params"`
	Salt    []byte    `json:"salt"`
	Created time.Time `json:"created"`
	Data    []byte    `json:"data"` // seal(derived key, master key)
}

const maxKeyFile = 64 << 10

// derive gives the key password and salt derive to under p; warm first
// readies argon2id's memory (kdfmem.go, Options.WarmKDF).
func derive(password string, salt []byte, p KDF, warm bool) []byte {
	if warm {
		warmKDF(p.Memory)
	}
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
}

// sealMaster wraps master under password as a key file.
func sealMaster(master []byte, password string, p KDF, now time.Time) ([]byte, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("random salt: %w", err)
	}
	a, err := newAEAD(derive(password, salt, p, false))
	if err != nil {
		return nil, err
	}
	data, err := seal(a, kindMaster, master)
	if err != nil {
		return nil, err
	}
	return json.Marshal(keyFile{Version: 1, KDF: "argon2id", Params: p, Salt: salt, Created: now.UTC(), Data: data})
}

// openMaster unwraps a key file's master key with password. A wrong
// password is ErrPassword; a damaged file ErrCorrupt.
func openMaster(b []byte, password string, warm bool) ([]byte, error) {
	kf, err := parseKeyFile(b)
	if err != nil {
		return nil, err
	}
	a, err := newAEAD(derive(password, kf.Salt, kf.Params, warm))
	if err != nil {
		return nil, err
	}
	m, err := open(a, kindMaster, kf.Data)
	if err != nil {
		return nil, ErrPassword
	}
	if len(m) != 32 {
		return nil, fmt.Errorf("%w: master key of %d bytes", ErrCorrupt, len(m))
	}
	return m, nil
}

// parseKeyFile decodes a key file and bounds its KDF parameters (at most
// 10 passes over 1 GiB), so that a planted key file cannot make the
// program derive for hours or run out of memory.
func parseKeyFile(b []byte) (keyFile, error) {
	var kf keyFile
	if len(b) > maxKeyFile {
		return kf, fmt.Errorf("%w: key file of %d bytes", ErrCorrupt, len(b))
	}
	if err := json.Unmarshal(b, &kf); err != nil {
		return kf, fmt.Errorf("%w: key file: %v", ErrCorrupt, err)
	}
	p := kf.Params
	if kf.Version != 1 || kf.KDF != "argon2id" || p.Time == 0 || p.Time > 10 || p.Memory < 8 || p.Memory > 1<<20 || p.Threads == 0 || len(kf.Salt) < 16 {
		return kf, fmt.Errorf("%w: key file: unknown version or KDF parameters", ErrCorrupt)
	}
	return kf, nil
}

// KeyInfo describes one keys/ object.
type KeyInfo struct {
	ID      string    `json:"id"` // the object's name under keys/
	Created time.Time `json:"created"`
	Current bool      `json:"current"` // the key the password opened
}

// keyNames lists the names under keys/.
func keyNames(ctx context.Context, b Backend) ([]string, error) {
	var names []string
	err := b.List(ctx, "keys/", func(o ObjectInfo) error {
		names = append(names, strings.TrimPrefix(o.Name, "keys/"))
		return nil
	})
	return names, err
}

// unlock finds the key that password opens; it returns its name and the
// master key.
func unlock(ctx context.Context, b Backend, password string, warm bool) (string, []byte, error) {
	names, err := keyNames(ctx, b)
	if err != nil {
		return "", nil, fmt.Errorf("list keys: %w", err)
	}
	if len(names) == 0 {
		return "", nil, ErrNoRepository
	}
	sort.Strings(names) // the first key a password opens, in name order: see Init
	var firstErr error
	for _, n := range names {
		raw, err := getLimited(ctx, b, "keys/"+n, maxKeyFile)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("read key %s: %w", n, err)
			}
			continue
		}
		m, err := openMaster(raw, password, warm)
		if err == nil {
			return n, m, nil
		}
		if !errors.Is(err, ErrPassword) && firstErr == nil {
			firstErr = fmt.Errorf("key %s: %w", n, err)
		}
	}
	if firstErr != nil {
		return "", nil, fmt.Errorf("%w (and %w)", ErrPassword, firstErr)
	}
	return "", nil, ErrPassword
}
