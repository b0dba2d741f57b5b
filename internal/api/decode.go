package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// ListPage is one list answer, decoded.
type ListPage struct {
	// Items are the list's elements, each exactly the bytes received.
	Items []json.RawMessage
	// Total is the envelope's total ("total", "count" or "meta.total"),
	// when HasTotal.
	Total    int
	HasTotal bool
	// BadTotal is the envelope's total when it is there but not a count
	// (a negative or fractional number, a word): the list is read without
	// a total.
	BadTotal json.RawMessage
}

// listKeys are the envelope keys that may hold the list.
var listKeys = map[string]bool{"data": true, "items": true, "results": true}

// errorKeys are envelope keys that make an answer an error report when
// they hold something (see errorValue): a null list beside one is no
// empty list.
var errorKeys = map[string]bool{"error": true, "errors": true, "statusCode": true, "status_code": true}

// errorValue reports whether v, the value of the error key key, says the
// answer is an error: a status code of 400 or more, or an error that is
// not empty (null, [], {}, "", false and 0 are empty: a Go server
// marshals a nil slice of errors as null).
func errorValue(key string, v json.RawMessage) bool {
	if key == "statusCode" || key == "status_code" {
		if n, ok := parseCount(v); ok {
			return n >= 400
		}
	}
	return !emptyValue(v)
}

// emptyValue reports whether v is null, [], {}, "", false or 0.
func emptyValue(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	switch string(t) {
	case "null", `""`, "false", "0":
		return true
	}
	if len(t) >= 2 && (t[0] == '[' && t[len(t)-1] == ']' || t[0] == '{' && t[len(t)-1] == '}') {
		return len(bytes.TrimSpace(t[1:len(t)-1])) == 0
	}
	return false
}

// rowsValue reports whether v is an array that is not empty, or an
// object holding an array of objects (rows that a null list beside it
// would hide).
func rowsValue(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	if len(t) == 0 || emptyValue(t) {
		return false
	}
	if t[0] == '[' {
		return true
	}
	if t[0] != '{' {
		return false
	}
	for i := bytes.IndexByte(t, '['); i >= 0; i = bytes.IndexByte(t, '[') {
		t = bytes.TrimSpace(t[i+1:])
		if len(t) > 0 && t[0] == '{' {
			return true
		}
	}
	return false
}

// pagingKeys are the envelope keys, besides the total's, that a null list
// may stand beside and still be an empty list: paging and links.
var pagingKeys = map[string]bool{
	"page": true, "pages": true, "limit": true, "offset": true, "per_page": true, "perPage": true,
	"page_size": true, "pageSize": true, "total_pages": true, "totalPages": true, "pageCount": true,
	"next": true, "prev": true, "previous": true, "links": true, "cursor": true,
	"next_cursor": true, "nextCursor": true, "has_more": true, "hasMore": true, "paging": true, "pagination": true,
}

// DecodeList decodes a list answer: a bare JSON array, or an object that
// holds the array under "data", "items" or "results" and may give a total
// under "total", "count" or "meta.total" (in that order of preference).
// Every element must be a JSON object and, when idField is not empty, carry
// a string or number under idField. A bare JSON null is an empty list, and
// so is null under one of the list keys in an envelope whose other keys
// are only the total's (total, count, meta) and paging keys (page, limit,
// per_page, next, links...): null and absent are the same value (the
// contract's section 6), and a Go server marshals an empty slice as null.
// A null list beside an error key that holds something (error, errors, a
// statusCode of 400 or more), beside a list key holding something other
// than an array, or beside another key holding rows (an array, or an
// object with one) is ErrInvalidBody: an error-shaped 200 answer must not
// read as an empty collection. Other keys ("success", "timestamp",
// "message": "OK") are left alone.
// Anything else (HTML, an object without a list, truncated JSON, trailing
// data) is ErrInvalidBody, wrapped with what was wrong. A total that is not
// a count (see parseCount) is left out and reported in BadTotal. Elements
// are read one by one, so each keeps its bytes exactly.
func DecodeList(body []byte, idField string) (ListPage, error) {
	p, err := decodeList(body, idField, false)
	if err != nil {
		return ListPage{}, fmt.Errorf("%w: %v", ErrInvalidBody, err)
	}
	return p, nil
}

// decodeValidList is DecodeList for a body the client already checked to
// be valid JSON (every 2xx answer is): it does not scan it a second time.
func decodeValidList(body []byte) (ListPage, error) {
	p, err := decodeList(body, "", true)
	if err != nil {
		return ListPage{}, fmt.Errorf("%w: %v", ErrInvalidBody, err)
	}
	return p, nil
}

func decodeList(body []byte, idField string, valid bool) (ListPage, error) {
	if items, ok := splitObjects(body, valid); ok && idField == "" {
		return ListPage{Items: items}, nil
	}
	var p ListPage
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return p, errors.New("empty body")
	}
	if err != nil {
		return p, fmt.Errorf("not JSON: %v: %s", err, preview(body))
	}
	switch tok {
	case json.Delim('['):
		p.Items, err = decodeElements(dec, idField)
	case json.Delim('{'):
		p, err = decodeEnvelope(dec, idField)
	case nil: // null: an empty list
		p.Items = []json.RawMessage{}
	default:
		return p, fmt.Errorf("expected a list, got %s", preview(body))
	}
	if err != nil {
		return ListPage{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ListPage{}, errors.New("data after the list")
	}
	return p, nil
}

// splitObjects is the fast path of the common answer, a bare array of
// objects: one validation of the whole body, then one scan that cuts it
// into elements. ok is false for anything else, which the decoder then
// reads (and explains) element by element.
func splitObjects(body []byte, valid bool) ([]json.RawMessage, bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '[' || (!valid && !jsonv.Valid(body)) {
		return nil, false
	}
	items := []json.RawMessage{}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == ']' {
		return items, skipSpace(body, i+1) == len(body)
	}
	for i < len(body) {
		if body[i] != '{' {
			return nil, false
		}
		end, ok := skipValue(body, i)
		if !ok {
			return nil, false
		}
		items = append(items, json.RawMessage(body[i:end:end]))
		i = skipSpace(body, end)
		if i >= len(body) {
			return nil, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case ']':
			return items, skipSpace(body, i+1) == len(body)
		default:
			return nil, false
		}
	}
	return nil, false
}

// decodeElements reads the elements of an array whose '[' was read, and
// its ']'.
func decodeElements(dec *json.Decoder, idField string) ([]json.RawMessage, error) {
	items := []json.RawMessage{}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("element %d: %v", i, err)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("element %d is not an object: %s", i, preview(raw))
		}
		if idField != "" {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil {
				return nil, fmt.Errorf("element %d: %v", i, err)
			}
			if _, err := scalarText(fields[idField]); err != nil {
				return nil, fmt.Errorf("element %d: field %q: %v", i, idField, err)
			}
		}
		items = append(items, raw)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, fmt.Errorf("list not closed after %d elements (truncated?)", len(items))
	}
	return items, nil
}

// decodeEnvelope reads the members of an object whose '{' was read, and
// its '}'.
func decodeEnvelope(dec *json.Decoder, idField string) (ListPage, error) {
	var p ListPage
	found, null := false, false
	var errKey, badList, other string // keys that make a null list no empty list
	counted, stray := false, false    // a total's key seen; a key neither list, total nor paging
	rank := 0                         // the preference of the total kept: 3 total, 2 count, 1 meta.total
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, fmt.Errorf("envelope: %v", err)
		}
		key, _ := tok.(string)
		switch {
		case listKeys[key]:
			tok, err := dec.Token()
			if err != nil {
				return p, fmt.Errorf("envelope %q: %v", key, err)
			}
			if tok == nil {
				null = true // an empty list, unless another key holds one
				continue
			}
			if tok != json.Delim('[') {
				if err := skipRest(dec, tok); err != nil {
					return p, fmt.Errorf("envelope %q: %v", key, err)
				}
				badList = key
				continue
			}
			if found {
				return p, fmt.Errorf("envelope holds two lists (%q is the second)", key)
			}
			if p.Items, err = decodeElements(dec, idField); err != nil {
				return p, fmt.Errorf("envelope %q: %v", key, err)
			}
			found = true
		case key == "total" || key == "count" || key == "meta":
			counted = true
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return p, fmt.Errorf("envelope %q: %v", key, err)
			}
			r := map[string]int{"total": 3, "count": 2, "meta": 1}[key]
			if key == "meta" {
				raw = metaTotal(raw)
			}
			if raw == nil || string(raw) == "null" || r < rank {
				continue
			}
			n, ok := parseCount(raw)
			if !ok {
				if !p.HasTotal {
					p.BadTotal = raw
				}
				continue
			}
			p.Total, p.HasTotal, p.BadTotal, rank = n, true, nil, r
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return p, fmt.Errorf("envelope %q: %v", key, err)
			}
			stray = stray || !pagingKeys[key]
			switch {
			case errorKeys[key]:
				if errorValue(key, skip) {
					errKey = key
				}
			case !pagingKeys[key] && other == "" && rowsValue(skip):
				other = key
			}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return p, errors.New("object not closed (truncated?)")
	}
	if !found && !null && counted && p.HasTotal && !stray && badList == "" {
		// The list's key left out: the same value as null (a server
		// that omits null members), when the envelope holds nothing but
		// a total that reads as a number and paging keys. A total above zero then makes the
		// listing fall short of its count: partial, never complete.
		null = true
	}
	if !found && null {
		switch {
		case errKey != "":
			return p, fmt.Errorf("a null list in an error answer (%q)", errKey)
		case badList != "":
			return p, fmt.Errorf("a null list beside %q, which is not a list", badList)
		case other != "":
			return p, fmt.Errorf("a null list beside %q, which holds rows", other)
		}
		p.Items, found = []json.RawMessage{}, true
	}
	if !found {
		return p, errors.New("a JSON object without a list (data, items or results)")
	}
	return p, nil
}

// metaTotal returns meta's "total", or nil when meta is not an object
// with one.
func metaTotal(raw json.RawMessage) json.RawMessage {
	var meta map[string]json.RawMessage
	if json.Unmarshal(raw, &meta) != nil {
		return nil
	}
	return meta["total"]
}

// skipRest skips the remainder of a value whose first token was read.
func skipRest(dec *json.Decoder, first json.Token) error {
	d, ok := first.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
