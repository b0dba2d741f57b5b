package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		status2  string
		messages []string
		text     string
	}{
		{"documented 400", 400, BodyMissingWorkspace, "Bad Request",
			[]string{"Missing required header: en-workspace"},
			"400 Bad Request: Missing required header: en-workspace"},
		{"documented 401", 401, BodyUnauthorized, "Unauthorized",
			[]string{"Invalid or missing API key"}, "401 Unauthorized: Invalid or missing API key"},
		{"documented 403", 403, BodyForbidden, "Forbidden",
			[]string{"Token not authorized for this workspace"}, "403 Forbidden: Token not authorized for this workspace"},
		{"message list", 400, `{"statusCode":400,"error":"Bad Request","message":["name must be a string","slug should not be empty"]}`,
			"Bad Request", []string{"name must be a string", "slug should not be empty"},
			"400 Bad Request: name must be a string; slug should not be empty"},
		{"no message", 404, `{"statusCode":404,"error":"Not Found"}`, "Not Found", nil, "404 Not Found"},
		{"html", 502, "<html><body>Bad gateway</body></html>", "", nil, "502 Bad Gateway: an HTML page, not the API's JSON (a proxy or gateway answered?)"},
		{"html with a title", 502, "<!DOCTYPE html>\n<html><head><title>502 Bad\n Gateway</title></head><body>" + strings.Repeat("x", 5000) + "</body></html>", "", nil,
			`502 Bad Gateway: an HTML page titled "502 Bad Gateway", not the API's JSON (a proxy or gateway answered?)`},
		{"control characters", 500, "oops\x1b[2J\nlevel=ERROR", "", nil, "500 Internal Server Error: oops [2J level=ERROR"},
		{"empty", 503, "", "", nil, "503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError(tt.status, []byte(tt.body))
			if e.StatusCode != tt.status || e.Status != tt.status2 || !reflect.DeepEqual(e.Messages, tt.messages) {
				t.Errorf("ParseError = %+v, want status %d %q, messages %q", e, tt.status, tt.status2, tt.messages)
			}
			if got := e.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
			if got := StatusOf(fmt.Errorf("wrapped: %w", e)); got != tt.status {
				t.Errorf("StatusOf = %d, want %d", got, tt.status)
			}
		})
	}
}

func TestErrorNamesRequest(t *testing.T) {
	e := ParseError(401, []byte(BodyUnauthorized))
	e.Method, e.Path = "GET", "/ws/types?limit=100&page=1"
	want := "GET /ws/types?limit=100&page=1: 401 Unauthorized: Invalid or missing API key"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.As(fmt.Errorf("x: %w", e), new(*Error)) {
		t.Error("errors.As does not find *Error")
	}
}

func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		BodyMissingWorkspace, BodyUnauthorized, BodyForbidden,
		`{"statusCode":400,"error":"Bad Request","message":["a","b"]}`,
		`{"message": 3}`, `{"message": [1, "x"]}`, `{"error": ""}`, `<html>`, ``, "\xff\xfe",
		strings.Repeat("x", 500),
	} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := ParseError(status, body)
		if e.StatusCode != status {
			t.Fatalf("StatusCode = %d, want %d", e.StatusCode, status)
		}
		text := e.Error()
		if text == "" {
			t.Fatal("empty error text")
		}
		if !utf8.ValidString(e.Body) {
			t.Fatalf("Body %q is not valid UTF-8", e.Body)
		}
		if len(e.Body) > 200+len("…") {
			t.Fatalf("Body kept %d bytes", len(e.Body))
		}
		// message as a string or a list of strings comes back as is.
		var nest struct {
			StatusCode int             `json:"statusCode"`
			Error      string          `json:"error"`
			Message    json.RawMessage `json:"message"`
		}
		if json.Unmarshal(body, &nest) != nil || len(nest.Message) == 0 {
			return
		}
		var one string
		var many []string
		switch {
		case json.Unmarshal(nest.Message, &one) == nil:
			if one != "" && (len(e.Messages) != 1 || e.Messages[0] != one) {
				t.Fatalf("Messages = %q, want [%q]", e.Messages, one)
			}
		case json.Unmarshal(nest.Message, &many) == nil:
			if !reflect.DeepEqual(e.Messages, many) {
				t.Fatalf("Messages = %q, want %q", e.Messages, many)
			}
		}
	})
}
