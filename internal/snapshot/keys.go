package snapshot

import (
	"bytes"
	"fmt"
	"strings"
)

// Limits on names, enforced by Put.
const (
	maxKeyLen  = 1024 // an object key
	maxNameLen = 1024 // a collection name
)

// Sort-key tags: numeric keys first, in numeric order; then text keys.
const (
	tagNumber byte = 1 // followed by the digit count (1 byte) and the digits
	tagText   byte = 2 // followed by the key's bytes
)

// sortKey encodes an object key so that bbolt's byte order is the
// collection's order: keys of decimal digits (no leading zero, at most 255)
// sort numerically and before text keys, which sort bytewise.
func sortKey(key string) []byte {
	if isNumeric(key) {
		b := make([]byte, 0, 2+len(key))
		b = append(b, tagNumber, byte(len(key)))
		return append(b, key...)
	}
	b := make([]byte, 0, 1+len(key))
	b = append(b, tagText)
	return append(b, key...)
}

func isNumeric(key string) bool {
	if key == "" || len(key) > 255 || (key[0] == '0' && len(key) > 1) {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '0' || key[i] > '9' {
			return false
		}
	}
	return true
}

// keyText decodes a sort key back to the key's text.
func keyText(sk []byte) (string, error) {
	if len(sk) == 0 {
		return "", fmt.Errorf("%w: empty sort key", ErrCorrupt)
	}
	switch sk[0] {
	case tagNumber:
		if len(sk) < 2 || int(sk[1]) != len(sk)-2 || !isNumeric(string(sk[2:])) {
			return "", fmt.Errorf("%w: bad numeric sort key %q", ErrCorrupt, sk)
		}
		return string(sk[2:]), nil
	case tagText:
		if isNumeric(string(sk[1:])) {
			return "", fmt.Errorf("%w: numeric key %q stored as text", ErrCorrupt, sk[1:])
		}
		return string(sk[1:]), nil
	}
	return "", fmt.Errorf("%w: unknown sort key tag %d", ErrCorrupt, sk[0])
}

// compareKeys orders sort keys; it is bytes.Compare, named for readers.
func compareKeys(a, b []byte) int { return bytes.Compare(a, b) }

// CollectionName returns the name of the collection that holds objects of
// kind under parent: the kind alone at workspace level ("types"), else
// kind/parent ("items/contracts").
func CollectionName(kind, parent string) string {
	if parent == "" {
		return kind
	}
	return kind + "/" + parent
}

// KindOf returns the kind of a collection name made by CollectionName.
func KindOf(collection string) string {
	kind, _, _ := strings.Cut(collection, "/")
	return kind
}

func checkNames(kind, parent, key string) error {
	switch {
	case kind == "":
		return fmt.Errorf("%w: empty kind", ErrInvalid)
	case strings.ContainsAny(kind, "/\x00"):
		return fmt.Errorf("%w: kind %q contains '/' or NUL", ErrInvalid, kind)
	case strings.ContainsRune(parent, 0):
		return fmt.Errorf("%w: parent %q contains NUL", ErrInvalid, parent)
	case len(kind)+1+len(parent) > maxNameLen:
		return fmt.Errorf("%w: collection name longer than %d bytes", ErrInvalid, maxNameLen)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%w: key of %d bytes is longer than %d", ErrInvalid, len(key), maxKeyLen)
	}
	return nil
}
