package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Object is one resource exactly as the API returned it, with the few facts
// the rest of the program needs to file it.
type Object struct {
	Kind   string // the kind's Name
	Parent string // the parent object's ParentField value ("contracts" for an item), "" at workspace level
	ID     string // the id as text: a JSON number's digits or a string's contents
	Key    string // the kind's KeyField as text (the slug for types, else the id)
	// Raw is the object's JSON, byte for byte as received. From List it is
	// a slice of the page's body, which the client never modifies or
	// reuses: a sink may keep it without a copy.
	Raw json.RawMessage
	// Sum, when Summed, is the SHA-256 of Raw's canonical form
	// (jsonv.Canonical), taken by List while it checked the page: the
	// address the store files Raw under, so that a backup does not
	// canonicalise each object a second time.
	Sum    [sha256.Size]byte
	Summed bool
}

// NewObject files raw as an object of kind k under parent. It fails when raw
// is not a JSON object or lacks the kind's id or key field.
func NewObject(k *kind.Kind, parent string, raw json.RawMessage) (Object, error) {
	o := Object{Kind: k.Name, Parent: parent, Raw: raw}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return o, fmt.Errorf("%w: %s: expected a JSON object, got %s", ErrInvalidBody, k.Name, preview(raw))
	}
	if k.IDField == "" {
		return o, nil
	}
	if !jsonv.Valid(raw) {
		return o, fmt.Errorf("%w: %s: not valid JSON: %s", ErrInvalidBody, k.Name, preview(raw))
	}
	return fileObject(k, o, raw)
}

// newListedObject is NewObject for an element that DecodeList already
// checked to be valid JSON: it skips the second validation.
func newListedObject(k *kind.Kind, parent string, raw json.RawMessage) (Object, error) {
	o := Object{Kind: k.Name, Parent: parent, Raw: raw}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return o, fmt.Errorf("%w: %s: expected a JSON object, got %s", ErrInvalidBody, k.Name, preview(trimmed))
	}
	if k.IDField == "" {
		return o, nil
	}
	return fileObject(k, o, trimmed)
}

// fileObject fills the id and key of o from raw, a valid JSON object.
func fileObject(k *kind.Kind, o Object, raw []byte) (Object, error) {
	names := idFields(k)
	var buf [2]json.RawMessage
	vals, err := topLevelInto(raw, names[:], buf[:])
	if err != nil {
		return o, fmt.Errorf("%w: %s: %v", ErrInvalidBody, k.Name, err)
	}
	return fileFields(k, o, [2]json.RawMessage(vals))
}

// idFields returns the top-level fields that file an object of kind k:
// its id field and its key field (the id field again when the key is the
// id).
func idFields(k *kind.Kind) [2]string {
	if k.KeyField == "" {
		return [2]string{k.IDField, k.IDField}
	}
	return [2]string{k.IDField, k.KeyField}
}

// fileFields fills the id and key of o from vals, the values of the
// kind's idFields in the object (nil where absent).
func fileFields(k *kind.Kind, o Object, vals [2]json.RawMessage) (Object, error) {
	keyField := idFields(k)[1]
	id, err := scalarText(vals[0])
	if err != nil {
		return o, fmt.Errorf("%w: %s: field %q: %v", ErrInvalidBody, k.Name, k.IDField, err)
	}
	o.ID = id
	o.Key = id
	if keyField != k.IDField {
		key, err := scalarText(vals[1])
		if err != nil {
			return o, fmt.Errorf("%w: %s %s: field %q: %v", ErrInvalidBody, k.Name, id, keyField, err)
		}
		o.Key = key
	}
	return o, nil
}

// ParentParams returns the route parameters that objects of kind k need
// when their parent is parent (an object of k.Parent).
func ParentParams(k *kind.Kind, parent Object) (map[string]string, error) {
	if k.Parent == "" {
		return nil, nil
	}
	pk, err := kind.ByName(k.Parent)
	if err != nil {
		return nil, err
	}
	v := parent.ID
	if k.ParentField != pk.IDField {
		v = parent.Key
		if k.ParentField != pk.KeyField {
			return nil, fmt.Errorf("kind %s: parent field %q is neither id nor key of %s", k.Name, k.ParentField, pk.Name)
		}
	}
	return map[string]string{k.ParentParam: v}, nil
}

// scalarText returns a JSON number's text or a JSON string's contents.
func scalarText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("missing")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s == "" {
			return "", fmt.Errorf("empty")
		}
		return s, nil
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
		return "", fmt.Errorf("not a string or number: %s", preview(raw))
	}
	return string(raw), nil
}

// plainScalar returns the text scalarText gives raw when that text is
// raw's own bytes (a number, or the inside of a string without escapes or
// control characters, in valid UTF-8), without making a string; ok is
// false otherwise, also where scalarText fails.
func plainScalar(raw json.RawMessage) (text []byte, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '"' {
		if len(raw) < 3 || raw[len(raw)-1] != '"' {
			return nil, false
		}
		in := raw[1 : len(raw)-1]
		for _, c := range in {
			if c < 0x20 || c == '\\' || c == '"' {
				return nil, false
			}
		}
		return in, utf8.Valid(in)
	}
	if string(raw) == "null" {
		return nil, false
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
		return nil, false
	}
	return raw, true
}

func preview(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	if s == "" {
		return "nothing"
	}
	return strconv.Quote(s)
}
