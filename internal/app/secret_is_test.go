package app

import (
	"errors"
	"fmt"
	"testing"
)

// TestIsSecret: one error is a secret file's failure when it is or wraps
// a *SecretError; AllSecret is IsSecret of every error, and false for none.
func TestIsSecret(t *testing.T) {
	secret := &SecretError{What: "environment stage", Err: errors.New("cannot read stage.key")}
	wrapped := fmt.Errorf("backup of acme: %w", secret)
	other := errors.New("cannot reach http://x")
	for _, tt := range []struct {
		err  error
		want bool
	}{{secret, true}, {wrapped, true}, {other, false}, {nil, false}, {ErrConfig, false}} {
		if got := IsSecret(tt.err); got != tt.want {
			t.Errorf("IsSecret(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	if !AllSecret([]error{secret, wrapped}) || AllSecret([]error{secret, other}) || AllSecret(nil) {
		t.Error("AllSecret is not IsSecret of every error")
	}
}
