package fakeapi

import (
	"fmt"
	"strings"
	"time"
)

// DemoAPIKey is the key a server accepts when Options.APIKeys is nil: "en."
// and 34 alphanumerics, like a real key.
const DemoAPIKey = "en.demo000000000000000000000000000000"

// Key is an API key the server accepts.
type Key struct {
	// Secret is the key itself: "en." and 34 alphanumerics.
	Secret string
	// Scopes are any of "read", "write" and "delete".
	Scopes []string
	// Workspaces are the slugs the key may act in; empty means all.
	Workspaces []string
	// Description is shown in the key list.
	Description string
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time
	// Owner is the email of the person the key belongs to; "" means the
	// owner of the demo workspaces (ana@acme.com). A key only reaches the
	// workspaces its owner is a member of.
	Owner string
}

// keyRec is an accepted key with what the server derives from it.
type keyRec struct {
	Key
	id        int64
	reference string // the public reference shown in lists, never derived from the secret
	created   int64
	owner     *user
	scopes    map[string]bool
	log       []logEntry // newest last; the newest maxRequestLog count; guarded by Server.logMu
}

// maxRequestLog is how many request log entries a key keeps.
const maxRequestLog = 1000

// validSecret reports whether s has the shape of an Enspace API key.
func validSecret(s string) bool {
	rest, found := strings.CutPrefix(s, "en.")
	if !found || len(rest) != 34 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// setKeys validates and installs the accepted keys.
func (s *Server) setKeys(keys []Key, epoch int64) error {
	if keys == nil {
		keys = []Key{{Secret: DemoAPIKey, Scopes: []string{"read", "write", "delete"}, Description: "demo"}}
	}
	s.keys = make(map[string]*keyRec, len(keys))
	for i, k := range keys {
		if !validSecret(k.Secret) {
			return fmt.Errorf("%w: API key %d: want \"en.\" and 34 letters or digits", ErrInvalidOptions, i+1)
		}
		if _, dup := s.keys[k.Secret]; dup {
			return fmt.Errorf("%w: API key %d: given twice", ErrInvalidOptions, i+1)
		}
		rec := &keyRec{Key: k, id: s.next(seqAPIKey), created: epoch, scopes: map[string]bool{}}
		for _, sc := range k.Scopes {
			switch sc {
			case "read", "write", "delete":
				rec.scopes[sc] = true
			default:
				return fmt.Errorf("%w: API key %d: unknown scope %q (want read, write or delete)", ErrInvalidOptions, i+1, sc)
			}
		}
		rec.owner = s.owner
		if k.Owner != "" && !strings.EqualFold(k.Owner, s.owner.email) {
			rec.owner = s.userFor(k.Owner, "", "", epoch)
		}
		rec.reference = reference(s.opts.Seed, rec.id)
		s.keys[k.Secret] = rec
	}
	return nil
}

// reference derives a key's public 16-letter reference from the seed and
// the key's id, never from its secret.
func reference(seed, id int64) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 16)
	h := hash64(seed, "key-reference", "", "", id)
	for i := range b {
		b[i] = letters[h%uint64(len(letters))]
		h = mix64(h + uint64(i) + 1)
	}
	return string(b)
}

// expired reports whether the key has expired at ms.
func (k *keyRec) expired(ms int64) bool {
	return !k.ExpiresAt.IsZero() && k.ExpiresAt.UnixMilli() <= ms
}

// allows reports whether the key may act in the workspace with this slug.
func (k *keyRec) allows(slug string) bool {
	if len(k.Workspaces) == 0 {
		return true
	}
	for _, w := range k.Workspaces {
		if w == slug {
			return true
		}
	}
	return false
}
