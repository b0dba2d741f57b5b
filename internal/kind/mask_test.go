package kind

import (
	"reflect"
	"testing"
)

func TestMasked(t *testing.T) {
	for v, want := range map[any]bool{
		"****": true, "***": true, "••••••••": true, "****1a2b": true, "1a2b****": true,
		"sk-••••": true, "●●●●●": true, "ab****cd": true,
		// a key's kind before the mask, the last digits after it
		"sk_live_••••1234": true, "xoxb-••••••••": true, "ghp_****abcd": true,
		"abcd****wxyz": true, "pk.test.****": true, "AKIA-****": true,
		// a card-style mask: the digits behind one separator
		"****-1234": true, "••••_9f3e": true,
		"**": false, "": false, "a *** b": false, "****12345": false, "12345****": false,
		"** **": false, "**a**": false, "hello": false, "*": false, "abc*": false,
		"https://x.y/**": false, 42: false, nil: false, true: false,
		// plain words and values that are not one mask
		"password": false, "sk_live_": false, "hello_world": false, "a-b-c-d-e": false,
		"https://x.y/****": false, "averylongprefix_****": false, "abcde****": false,
		"****-12345": false, "****--1234": false, "sk_live_****12345": false,
		"x_y****": true, "****abcd-": false,
	} {
		if got := Masked(v); got != want {
			t.Errorf("Masked(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestMaskedKeysNested(t *testing.T) {
	data := map[string]any{
		"api_token":   "sk_live_••••1234",
		"account":     "acme",
		"credentials": map[string]any{"client_secret": "****", "client_id": "abc"},
		"hosts":       []any{map[string]any{"password": "ghp_****abcd", "name": "h1"}, "xoxb-••••••••", "plain"},
	}
	want := []string{"api_token", "credentials.client_secret", "hosts.0.password", "hosts.1"}
	if got := MaskedKeys(data); !reflect.DeepEqual(got, want) {
		t.Fatalf("MaskedKeys = %v, want %v", got, want)
	}
	DropMasked(data)
	if got := MaskedKeys(data); len(got) != 0 {
		t.Fatalf("after DropMasked: %v", got)
	}
	wantData := map[string]any{
		"account":     "acme",
		"credentials": map[string]any{"client_id": "abc"},
		"hosts":       []any{map[string]any{"name": "h1"}, nil, "plain"},
	}
	if !reflect.DeepEqual(data, wantData) {
		t.Fatalf("after DropMasked: %v", data)
	}
	for _, path := range want {
		if !SetPath(data, path, "v:"+path) {
			t.Errorf("SetPath(%s) failed", path)
		}
	}
	if data["api_token"] != "v:api_token" || data["credentials"].(map[string]any)["client_secret"] != "v:credentials.client_secret" ||
		data["hosts"].([]any)[0].(map[string]any)["password"] != "v:hosts.0.password" || data["hosts"].([]any)[1] != "v:hosts.1" {
		t.Errorf("after SetPath: %v", data)
	}
	if SetPath(data, "hosts.7.password", "x") || SetPath(data, "account.x", "x") {
		t.Errorf("SetPath stored past a list's end or through a string")
	}
}

// TestMaskedPathDottedKeys: a key with a dot in it is one segment of a
// path (escaped), at the top level and nested, and SetPath and
// DeletePath find exactly that key.
func TestMaskedPathDottedKeys(t *testing.T) {
	data := map[string]any{
		"smtp.host":         "mail.example.com",
		"smtp.password":     "****abcd",
		"hosts.example.com": map[string]any{"user": "u", "password": "****"},
		`a\b`:               "****",
	}
	want := []string{`a\\b`, `hosts\.example\.com.password`, `smtp\.password`}
	if got := MaskedKeys(data); !reflect.DeepEqual(got, want) {
		t.Fatalf("MaskedKeys = %q, want %q", got, want)
	}
	if got := SplitPath(`hosts\.example\.com.password`); !reflect.DeepEqual(got, []string{"hosts.example.com", "password"}) {
		t.Errorf("SplitPath = %q", got)
	}
	DropMasked(data)
	for _, path := range want {
		if !SetPath(data, path, "v:"+path) {
			t.Errorf("SetPath(%s) failed", path)
		}
	}
	wantData := map[string]any{
		"smtp.host":         "mail.example.com",
		"smtp.password":     `v:smtp\.password`,
		"hosts.example.com": map[string]any{"user": "u", "password": `v:hosts\.example\.com.password`},
		`a\b`:               `v:a\\b`,
	}
	if !reflect.DeepEqual(data, wantData) {
		t.Fatalf("after SetPath: %v", data)
	}
	DeletePath(data, `hosts\.example\.com.password`)
	DeletePath(data, `smtp\.password`)
	if _, ok := data["smtp.password"]; ok || len(data["hosts.example.com"].(map[string]any)) != 1 {
		t.Errorf("after DeletePath: %v", data)
	}
}

// TestSetPathCreatesNothing: SetPath never makes an object that was not
// there: the unescaped smtp.password through a missing "smtp", a missing
// nested object, or a nil list element all store nothing.
func TestSetPathCreatesNothing(t *testing.T) {
	data := map[string]any{"smtp.host": "h", "hosts": []any{nil}, "empty": nil}
	for _, path := range []string{"smtp.password", "hosts.example.com.password", "hosts.0.password", "empty.x", `a.b\.c`} {
		if SetPath(data, path, "x") {
			t.Errorf("SetPath(%s) stored", path)
		}
	}
	if want := (map[string]any{"smtp.host": "h", "hosts": []any{nil}, "empty": nil}); !reflect.DeepEqual(data, want) {
		t.Errorf("SetPath changed the data: %v", data)
	}
}
