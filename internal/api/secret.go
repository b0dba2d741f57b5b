package api

import (
	"fmt"
	"log/slog"
)

// Secret holds an API key. Every way of printing it prints "[redacted]";
// only Reveal gives the value, and only the client's request builder calls it.
type Secret string

const redacted = "[redacted]"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v hides it too.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter, so that every verb (%d and %x too)
// prints "[redacted]".
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", redacted)
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON keeps the value out of any JSON.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText keeps the value out of any text encoding (YAML, logs).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the key itself.
func (s Secret) Reveal() string { return string(s) }
