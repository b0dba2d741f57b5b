package api

import "encoding/json"

// topLevel returns the raw values of the named top-level members of the
// JSON object raw, in the order of names (nil where a member is absent). It
// scans once without building a map, which matters when a backup files a
// hundred thousand objects. raw must be valid JSON (the caller checked it);
// on anything it does not expect, topLevel falls back to encoding/json.
func topLevel(raw []byte, names ...string) ([]json.RawMessage, error) {
	return topLevelInto(raw, names, make([]json.RawMessage, len(names)))
}

// topLevelInto is topLevel writing into out, which has len(names)
// elements: a caller's array spares an allocation per object.
func topLevelInto(raw []byte, names []string, out []json.RawMessage) ([]json.RawMessage, error) {
	if vals, ok := scanTopLevel(raw, names, out); ok {
		return vals, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	for i, n := range names {
		out[i] = fields[n]
	}
	return out, nil
}

// scanTopLevel is topLevel's fast path. ok is false when it met something
// it leaves to encoding/json: escapes in a key, or a shape it did not expect.
func scanTopLevel(raw []byte, names []string, out []json.RawMessage) ([]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return out, true
	}
	for i < len(raw) {
		if raw[i] != '"' {
			return nil, false
		}
		start := i + 1
		end := start
		for end < len(raw) && raw[end] != '"' {
			if raw[end] == '\\' {
				return nil, false
			}
			end++
		}
		if end >= len(raw) {
			return nil, false
		}
		key := raw[start:end]
		i = skipSpace(raw, end+1)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		i = skipSpace(raw, i+1)
		vstart := i
		var ok bool
		if i, ok = skipValue(raw, i); !ok {
			return nil, false
		}
		for n, name := range names {
			if string(key) == name { // the last of duplicate keys wins, as in encoding/json
				out[n] = json.RawMessage(raw[vstart:i])
			}
		}
		i = skipSpace(raw, i)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return out, true
		default:
			return nil, false
		}
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				var ok bool
				if i, ok = skipString(b, i); !ok {
					return i, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	default:
		start := i
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
			i++
		}
		return i, i > start
	}
}

// skipString returns the index just past the string starting at i.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}
