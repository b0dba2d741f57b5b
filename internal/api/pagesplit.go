package api

import (
	"crypto/sha256"
	"encoding/json"
	"sync"

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

// splitter is the scratch of one page's splitSummed: the canonicaliser
// and the buffer the canonical forms are written to, kept from page to
// page (a listing fetches pages in parallel, each with its own).
type splitter struct {
	z     jsonv.Canonicalizer
	canon []byte
	// The slices of the last summedPage, reused by the next page (the
	// page is filed, its objects copied out, before the splitter goes
	// back to the pool): made afresh each page, they were a fifth of
	// the allocations of a backup's fetching.
	items  []json.RawMessage
	sums   [][sha256.Size]byte
	fields [][2]json.RawMessage
	// text and spans are fileSummed's scratch for the page's ids and
	// keys (made afresh for each page, spans were 3.2 of a first
	// backup's 50 MB of allocation).
	text  []byte
	spans [][2]span
	// objs are the page's objects as filed (listing.fileSummed), handed
	// to List's fn, which keeps no slice of them.
	objs []Object
}

var splitScratch = sync.Pool{New: func() any { return &splitter{canon: make([]byte, 0, 4096)} }}

func (s *splitter) release() {
	s.z.Reset() // it holds slices of the page
	clear(s.items[:cap(s.items)])
	clear(s.fields[:cap(s.fields)])
	clear(s.objs[:cap(s.objs)])
	if cap(s.canon) > 1<<20 {
		s.canon = make([]byte, 0, 4096) // one huge object grew it: do not keep that
	}
	splitScratch.Put(s)
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
// decodes the body the general way, which explains what is wrong.
//
// names are the top-level fields whose values splitSummed keeps for each
// element (the kind's idFields), taken while the element is read; "" asks
// for none. hint is the number of elements expected (the page size): the
// page's slices are s's, made that large once and valid until s's next
// page. The canonical forms are written to s's buffer, kept for the next
// page.
func (s *splitter) splitSummed(body []byte, names [2]string, hint int) (p summedPage, ok bool) {
	hint = min(max(hint, 0), MaxPageSize)
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '[' {
		return p, false
	}
	if cap(s.items) < hint {
		s.items, s.sums, s.fields = make([]json.RawMessage, 0, hint), make([][sha256.Size]byte, 0, hint), make([][2]json.RawMessage, 0, hint)
	}
	p = summedPage{body: body, items: s.items[:0], sums: s.sums[:0], fields: s.fields[:0]}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == ']' {
		return p, skipSpace(body, i+1) == len(body)
	}
	for i < len(body) {
		if body[i] != '{' {
			return summedPage{}, false
		}
		c, n, err := s.z.AppendValue(s.canon[:0], body[i:])
		if err != nil {
			return summedPage{}, false
		}
		s.canon = c
		end := i + n
		p.items = append(p.items, json.RawMessage(body[i:end:end]))
		p.sums = append(p.sums, sha256.Sum256(c))
		var vals [2]json.RawMessage
		for n, name := range names {
			if name != "" {
				vals[n], _ = s.z.Member(name)
			}
		}
		p.fields = append(p.fields, vals)
		i = skipSpace(body, end)
		if i >= len(body) {
			return summedPage{}, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case ']':
			return p, skipSpace(body, i+1) == len(body)
		default:
			return summedPage{}, false
		}
	}
	return summedPage{}, false
}
