package diff

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented JSON (two spaces) that is byte-for-byte
// stable for the same result: object members sorted, changes in Result
// order, field changes in path order, HTML characters not escaped. Empty
// maps and lists are written as {} and [], never null. Numbers keep their
// text as stored.
func WriteJSON(w io.Writer, r *Result) error {
	out := *r
	if out.Summary == nil {
		out.Summary = map[string]Counts{}
	}
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	if out.Noise == nil {
		out.Noise = map[string]Noise{}
	}
	if out.Unknown == nil {
		out.Unknown = map[string]string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("write json diff: %w", err)
	}
	return nil
}
