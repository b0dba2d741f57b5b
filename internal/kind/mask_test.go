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
