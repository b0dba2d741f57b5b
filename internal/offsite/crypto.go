package offsite

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// ID names a blob, a tree chunk or an object: a SHA-256.
type ID [sha256.Size]byte

// String returns the id as 64 lowercase hex characters.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 12 hex characters, for people.
func (id ID) Short() string { return id.String()[:12] }

// ParseID parses the 64 hex characters of an ID.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("%w: id %q: want %d hex characters", ErrCorrupt, s, 2*len(id))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: id %q: %v", ErrCorrupt, s, err)
	}
	return id, nil
}

// MarshalText encodes the id as hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes hex.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	*id = p
	return err
}

func hashOf(b []byte) ID { return sha256.Sum256(b) }

// Object kinds, bound into each object's authenticated data so that one
// kind of object cannot be passed off as another.
const (
	kindPack     = "pack"
	kindIndex    = "index"
	kindSnapshot = "snapshot"
	kindLock     = "lock"
	kindMaster   = "master-key"
	kindResolved = "resolved-refs" // the local cache of by-chunk entries' refs (bychunk.go)
	kindIDs      = "blob-ids"      // the local cache of data blobs' full ids (cache.go)
)

const aadPrefix = "enspace-sync offsite v1 "

// masterKey is the repository's random 32-byte AES-256 key.
type masterKey struct{ aead cipher.AEAD }

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newMasterKey(key []byte) (*masterKey, error) {
	a, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &masterKey{aead: a}, nil
}

// seal encrypts plain with a random nonce: nonce || ciphertext || tag.
func seal(a cipher.AEAD, kind string, plain []byte) ([]byte, error) {
	return sealTo(a, nil, kind, plain)
}

// sealTo is seal writing into dst's memory (from dst[:0]) when it is
// large enough; dst must not overlap plain.
func sealTo(a cipher.AEAD, dst []byte, kind string, plain []byte) ([]byte, error) {
	out := slices.Grow(dst[:0], a.NonceSize()+len(plain)+a.Overhead())[:a.NonceSize()]
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("random nonce: %w", err)
	}
	return a.Seal(out, out, plain, []byte(aadPrefix+kind)), nil
}

// open decrypts what seal wrote, refusing anything altered.
func open(a cipher.AEAD, kind string, sealed []byte) ([]byte, error) {
	return openTo(a, nil, kind, sealed)
}

// openInPlace is open decrypting into sealed's own memory: sealed is
// overwritten (with the plain text, or zeros where it does not
// authenticate), and the plain text returned shares its memory.
func openInPlace(a cipher.AEAD, kind string, sealed []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize() {
		return open(a, kind, sealed)
	}
	return openTo(a, sealed[a.NonceSize():a.NonceSize()], kind, sealed)
}

func openTo(a cipher.AEAD, dst []byte, kind string, sealed []byte) ([]byte, error) {
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, fmt.Errorf("%w: %s object of %d bytes is too short", ErrCorrupt, kind, len(sealed))
	}
	n := a.NonceSize()
	plain, err := a.Open(dst, sealed[:n], sealed[n:], []byte(aadPrefix+kind))
	if err != nil {
		return nil, fmt.Errorf("%w: %s object does not authenticate", ErrCorrupt, kind)
	}
	return plain, nil
}

func (k *masterKey) seal(kind string, plain []byte) ([]byte, error) { return seal(k.aead, kind, plain) }
func (k *masterKey) sealTo(dst []byte, kind string, plain []byte) ([]byte, error) {
	return sealTo(k.aead, dst, kind, plain)
}
func (k *masterKey) open(kind string, b []byte) ([]byte, error) { return open(k.aead, kind, b) }
func (k *masterKey) openInPlace(kind string, b []byte) ([]byte, error) {
	return openInPlace(k.aead, kind, b)
}

func randomID() (ID, error) {
	var id ID
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("random id: %w", err)
	}
	return id, nil
}
