package fakeapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// item is one record, kept compact so that a million fit in modest
// memory: its values live in one string of (field id, length, JSON value)
// records, ordered by field id. Values of deleted fields stay in the
// string but are never shown.
type item struct {
	id      int64
	created int64
	updated int64
	user    int64
	vals    string
}

// value is one decoded record of item.vals.
type value struct {
	field int64
	raw   []byte
}

// encodeVals packs values, which must be ordered by field id.
func encodeVals(vals []value) string {
	n := 0
	for _, v := range vals {
		n += 2*binary.MaxVarintLen32 + len(v.raw)
	}
	b := make([]byte, 0, n)
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(v.field))
		b = binary.AppendUvarint(b, uint64(len(v.raw)))
		b = append(b, v.raw...)
	}
	return string(b)
}

// nextVal reads the record at s[i:], returning the field id, the JSON value
// and the index of the next record; ok is false at the end or on damage.
func nextVal(s string, i int) (field int64, raw string, next int, ok bool) {
	f, n := uvarintString(s[i:])
	if n <= 0 {
		return 0, "", 0, false
	}
	i += n
	l, n := uvarintString(s[i:])
	if n <= 0 || uint64(len(s)-i-n) < l {
		return 0, "", 0, false
	}
	i += n
	return int64(f), s[i : i+int(l)], i + int(l), true
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// decodeVals unpacks item.vals.
func decodeVals(s string) []value {
	var out []value
	for i := 0; i < len(s); {
		f, raw, next, ok := nextVal(s, i)
		if !ok {
			break
		}
		out = append(out, value{field: f, raw: []byte(raw)})
		i = next
	}
	return out
}

// mergeVals sets the values of changes over old, ordered by field id.
func mergeVals(old []value, changes []value) []value {
	byField := map[int64][]byte{}
	for _, v := range old {
		byField[v.field] = v.raw
	}
	for _, v := range changes {
		byField[v.field] = v.raw
	}
	out := make([]value, 0, len(byField))
	for f, raw := range byField {
		out = append(out, value{field: f, raw: raw})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].field < out[j].field })
	return out
}

// appendItem renders an item of type t as JSON.
func (s *Server) appendItem(b []byte, t *typeRec, it *item) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, it.id, 10)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, t.slug)
	b = append(b, `,"data":{`...)
	first := true
	for i := 0; i < len(it.vals); {
		fid, raw, next, ok := nextVal(it.vals, i)
		if !ok {
			break
		}
		i = next
		f := t.fieldByID(fid)
		if f == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, f.slug)
		b = append(b, ':')
		b = append(b, raw...)
	}
	b = append(b, `},"user":`...)
	b = append(b, s.userJSON(it.user)...)
	b = append(b, `,"created_at":`...)
	b = appendStamp(b, it.created)
	b = append(b, `,"updated_at":`...)
	b = appendStamp(b, it.updated)
	return append(b, '}')
}

// checkValue validates one value for field f; it returns a message, or ""
// when the value is acceptable.
func (w *Workspace) checkValue(f *field, raw json.RawMessage) string {
	name := "data." + f.slug
	if isNull(raw) {
		if f.required && f.active {
			return name + " should not be empty"
		}
		return ""
	}
	if f.multiple && (f.ftype == "relation" || f.ftype == "select") {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return name + " must be an array"
		}
		for _, v := range list {
			if msg := w.checkOne(f, name, v); msg != "" {
				return msg
			}
		}
		return ""
	}
	return w.checkOne(f, name, raw)
}

func (w *Workspace) checkOne(f *field, name string, raw json.RawMessage) string {
	var s string
	isString := json.Unmarshal(raw, &s) == nil
	switch f.ftype {
	case "number":
		var n json.Number
		if d := json.NewDecoder(bytes.NewReader(raw)); d.Decode(&n) != nil || isString {
			return name + " must be a number"
		}
	case "boolean":
		var v bool
		if json.Unmarshal(raw, &v) != nil {
			return name + " must be a boolean value"
		}
	case "date":
		if !isString || !validDate(s) {
			return name + " must be a valid ISO 8601 date string"
		}
	case "email":
		if !isString || !validEmail(s) {
			return name + " must be an email"
		}
	case "url":
		if u, err := url.Parse(s); !isString || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return name + " must be a URL address"
		}
	case "select":
		if !isString || len(f.choices) > 0 && !contains(f.choices, s) {
			return name + " must be one of the following values: " + joinChoices(f.choices)
		}
	case "relation":
		id, ok := asInt(raw)
		target := w.typeBySlug(f.target)
		if !ok || target == nil || target.itemIndex(id) < 0 {
			return name + " must be the id of an item of type " + strconv.Quote(f.target)
		}
	default: // text
		if !isString {
			return name + " must be a string"
		}
	}
	return ""
}

func validDate(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func validEmail(s string) bool {
	at := bytes.IndexByte([]byte(s), '@')
	return at > 0 && at < len(s)-1 && !bytes.ContainsAny([]byte(s), " \t\r\n")
}

func joinChoices(c []string) string {
	b, _ := json.Marshal(c)
	return string(b)
}
