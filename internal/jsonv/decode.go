package jsonv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode parses one JSON value into map[string]any, []any, string,
// json.Number (numbers keep their text, so integers of any size are
// exact), bool and nil. It fails with ErrInvalid on invalid JSON, an empty
// input and data after the value. Of duplicate object keys the last wins,
// as in Canonical.
func Decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty input", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the value at offset %d", ErrInvalid, dec.InputOffset())
	}
	return v, nil
}
