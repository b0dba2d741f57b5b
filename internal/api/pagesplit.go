package api

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// summedPage is a list answer read by splitSummed: its elements, each
// exactly the bytes received, and the SHA-256 of each one's canonical form.
type summedPage struct {
	body  []byte // the answer the elements are slices of
	items []json.RawMessage
	sums  [][sha256.Size]byte
	// fields are the values of the two fields asked for in each element
	// (nil where absent), as read: what files the objects (idFields).
	fields [][2]json.RawMessage
	// total and hasTotal are an envelope's total (never set by
	// splitSummed: a bare array has none).
	total    int
	hasTotal bool
}

// splitSummed is the one pass a list page of the common shape, a bare
// array of objects, needs: each element is canonicalised (which checks
// that it is valid JSON, as jsonv.Valid would), its canonical form hashed
// for the store, and its bytes sliced out of body without a copy. Before
// it, a page was scanned four times: validated whole, cut into elements,
// canonicalised and hashed by the store, and scanned for its id.
//
// ok is false for anything else (an envelope, an element that is not an
// object, invalid JSON, data after the list): the caller then checks and
// decodes the body the general way, which explains what is wrong. canon
// is the scratch buffer the canonical forms are written to, returned
// grown for the next page.
//
// names are the top-level fields whose values splitSummed keeps for each
// element (the kind's idFields), taken while the element is read; "" asks
// for none.
func splitSummed(body []byte, names [2]string, z *jsonv.Canonicalizer, canon []byte) (p summedPage, grown []byte, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '[' {
		return p, canon, false
	}
	p = summedPage{body: body, items: []json.RawMessage{}}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == ']' {
		return p, canon, skipSpace(body, i+1) == len(body)
	}
	for i < len(body) {
		if body[i] != '{' {
			return summedPage{}, canon, false
		}
		c, n, err := z.AppendValue(canon[:0], body[i:])
		if err != nil {
			return summedPage{}, canon, false
		}
		canon = c
		end := i + n
		p.items = append(p.items, json.RawMessage(body[i:end:end]))
		p.sums = append(p.sums, sha256.Sum256(c))
		var vals [2]json.RawMessage
		for n, name := range names {
			if name != "" {
				vals[n], _ = z.Member(name)
			}
		}
		p.fields = append(p.fields, vals)
		i = skipSpace(body, end)
		if i >= len(body) {
			return summedPage{}, canon, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case ']':
			return p, canon, skipSpace(body, i+1) == len(body)
		default:
			return summedPage{}, canon, false
		}
	}
	return summedPage{}, canon, false
}
