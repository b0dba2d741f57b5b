package fakeapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// resp is the answer a handler computes; ServeHTTP writes it (or breaks it,
// when a fault says so).
type resp struct {
	status int
	body   []byte
	ctype  string            // "" means application/json
	header map[string]string // extra headers
}

// nestBody is the NestJS error shape, keys in NestJS order.
type nestBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error,omitempty"`
	Message    any    `json:"message"`
}

// fail answers status with a NestJS body whose message is one string.
func fail(status int, message string) resp {
	return resp{status: status, body: marshal(nestBody{StatusCode: status, Error: http.StatusText(status), Message: message})}
}

// failList answers status with a NestJS body whose message is a list, the
// shape NestJS validation errors have.
func failList(status int, messages []string) resp {
	return resp{status: status, body: marshal(nestBody{StatusCode: status, Error: http.StatusText(status), Message: messages})}
}

// badRequest is fail(400, ...).
func badRequest(message string) resp { return fail(http.StatusBadRequest, message) }

// notFound is fail(404, ...).
func notFound(message string) resp { return fail(http.StatusNotFound, message) }

// cannot is the body NestJS answers for a path no controller serves.
func cannot(method, uri string) resp { return notFound("Cannot " + method + " " + uri) }

// raw answers a fixed body, such as the documented error bodies.
func raw(status int, body string) resp { return resp{status: status, body: []byte(body)} }

func unauthorized() resp     { return raw(http.StatusUnauthorized, api.BodyUnauthorized) }
func missingWorkspace() resp { return raw(http.StatusBadRequest, api.BodyMissingWorkspace) }
func forbidden() resp        { return raw(http.StatusForbidden, api.BodyForbidden) }

// ok200 answers 200 with v as JSON.
func ok200(v any) resp { return resp{status: http.StatusOK, body: marshal(v)} }

// success is the SuccessResponse of deletes and other actions.
func success() resp { return resp{status: http.StatusOK, body: []byte(`{"success":true}`)} }

// isFailure reports whether r is not a 2xx answer.
func (r resp) isFailure() bool { return r.status < 200 || r.status > 299 }

// marshal encodes v as compact JSON without HTML escaping, as a Node.js
// server would. The fake's own values always encode; a failure gives null.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// appendJSONString appends s as a JSON string, escaping only what JSON
// requires (quotes, backslashes, control characters).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// stamp formats unix milliseconds as the API does: ISO-8601 UTC with
// milliseconds and Z.
func stamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// appendStamp appends stamp(ms) as a JSON string.
func appendStamp(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	return append(b, '"')
}

// nullableID renders 0 as null and any other id as itself.
func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idList renders nil as [] rather than null.
func idList(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// parseID reads a numeric path parameter the way a NestJS ParseIntPipe does.
func parseID(s string) (int64, resp, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return 0, badRequest("Validation failed (numeric string is expected)"), false
	}
	return id, resp{}, true
}
