package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// compactObject appends raw compacted to buf after checking it is JSON.
func compactObject(buf *bytes.Buffer, raw []byte) error {
	if err := json.Compact(buf, raw); err != nil {
		return fmt.Errorf("%w: %w", ErrBadObject, err)
	}
	return nil
}

// appendWrapped appends {"parent":...,"key":...,"object":raw} to buf; the
// parent is omitted when empty.
func appendWrapped(buf *bytes.Buffer, parent, key string, raw []byte) error {
	b := buf.AvailableBuffer()
	b = append(b, '{')
	if parent != "" {
		b = append(b, `"parent":`...)
		b = appendJSONString(b, parent)
		b = append(b, ',')
	}
	b = append(b, `"key":`...)
	b = appendJSONString(b, key)
	b = append(b, `,"object":`...)
	buf.Write(b)
	if err := compactObject(buf, raw); err != nil {
		return err
	}
	buf.WriteByte('}')
	return nil
}

// appendJSONString appends s as a JSON string. strconv quoting is not JSON,
// so this escapes by hand the characters JSON requires and keeps the rest
// byte for byte (invalid UTF-8 becomes U+FFFD, as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}

type itemData struct {
	ID   json.RawMessage            `json:"id"`
	Data map[string]json.RawMessage `json:"data"`
}

// itemRow fills row with the csv cells of the item: its id first (the
// column "id", so that a row can be matched to its object), then its
// data for cols: strings as is, numbers as their JSON text, booleans
// true/false, null/absent empty, arrays and objects as compact JSON.
func itemRow(raw []byte, cols, row []string) error {
	var it itemData
	if err := json.Unmarshal(raw, &it); err != nil {
		return fmt.Errorf("%w: %w", ErrBadObject, err)
	}
	id, err := csvCell(it.ID)
	if err != nil {
		return fmt.Errorf("id: %w", err)
	}
	row[0] = id
	for i, c := range cols {
		cell, err := csvCell(it.Data[c])
		if err != nil {
			return fmt.Errorf("field %q: %w", c, err)
		}
		row[i+1] = cell
	}
	return nil
}

func csvCell(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", nil
	}
	switch v[0] {
	case 'n':
		return "", nil
	case 't', 'f':
		return strconv.FormatBool(v[0] == 't'), nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadObject, err)
		}
		return s, nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadObject, err)
		}
		return buf.String(), nil
	default:
		return string(v), nil
	}
}
