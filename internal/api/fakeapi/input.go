package fakeapi

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// input is a decoded JSON object body. Accessors record NestJS-style
// validation messages ("name must be a string") in errs.
type input struct {
	m    map[string]json.RawMessage
	errs []string
}

// parseBody decodes a request body that must be a JSON object. An empty
// body is an empty object.
func parseBody(body []byte) (*input, resp, bool) {
	in := &input{m: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, resp{}, true
	}
	if err := json.Unmarshal(body, &in.m); err != nil || in.m == nil {
		return nil, badRequest("The request body must be a JSON object"), false
	}
	return in, resp{}, true
}

// failed answers the recorded messages, if any.
func (in *input) failed() (resp, bool) {
	if len(in.errs) == 0 {
		return resp{}, false
	}
	return failList(400, in.errs), true
}

func (in *input) errorf(msg string) { in.errs = append(in.errs, msg) }

// has reports whether key is present and not null.
func (in *input) has(key string) bool {
	v, ok := in.m[key]
	return ok && !isNull(v)
}

// present reports whether key is present, even as null.
func (in *input) present(key string) bool {
	_, ok := in.m[key]
	return ok
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// str reads a string; ok is false when absent or null.
func (in *input) str(key string) (string, bool) {
	if !in.has(key) {
		return "", false
	}
	var s string
	if err := json.Unmarshal(in.m[key], &s); err != nil {
		in.errorf(key + " must be a string")
		return "", false
	}
	return s, true
}

// required reads a non-empty string and records "<key> should not be
// empty" when it is missing.
func (in *input) required(key string) string {
	s, ok := in.str(key)
	if !ok && !in.has(key) || ok && s == "" {
		in.errorf(key + " should not be empty")
	}
	return s
}

// boolean reads a boolean.
func (in *input) boolean(key string) (bool, bool) {
	if !in.has(key) {
		return false, false
	}
	var b bool
	if err := json.Unmarshal(in.m[key], &b); err != nil {
		in.errorf(key + " must be a boolean value")
		return false, false
	}
	return b, true
}

// integer reads an integer.
func (in *input) integer(key string) (int64, bool) {
	if !in.has(key) {
		return 0, false
	}
	n, ok := asInt(in.m[key])
	if !ok {
		in.errorf(key + " must be an integer number")
		return 0, false
	}
	return n, true
}

// ids reads a list of integers.
func (in *input) ids(key string) ([]int64, bool) {
	if !in.has(key) {
		return nil, false
	}
	var list []json.RawMessage
	if err := json.Unmarshal(in.m[key], &list); err != nil {
		in.errorf(key + " must be an array")
		return nil, false
	}
	out := make([]int64, 0, len(list))
	for _, v := range list {
		n, ok := asInt(v)
		if !ok {
			in.errorf("each value in " + key + " must be an integer number")
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// object reads a JSON object, compacted.
func (in *input) object(key string) (json.RawMessage, bool) {
	if !in.has(key) {
		return nil, false
	}
	v := bytes.TrimSpace(in.m[key])
	if len(v) == 0 || v[0] != '{' {
		in.errorf(key + " must be an object")
		return nil, false
	}
	return compact(v), true
}

// value reads any JSON value, compacted (null included).
func (in *input) value(key string) (json.RawMessage, bool) {
	v, ok := in.m[key]
	if !ok {
		return nil, false
	}
	return compact(v), true
}

// asInt reads a JSON integer (a number without fraction or exponent).
func asInt(v json.RawMessage) (int64, bool) {
	n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	return n, err == nil
}

// compact removes insignificant whitespace from valid JSON.
func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return append(json.RawMessage(nil), v...)
	}
	return b.Bytes()
}

// normalize re-encodes a JSON value the way a Node.js server stores and
// answers it: strings unescaped where JSON allows ("&", "ã"), numbers
// kept as written, no whitespace.
func normalize(v json.RawMessage) json.RawMessage {
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return compact(v)
	}
	return marshal(x)
}

// bodyOf encodes a Go value as a request body, for the exported mutators
// that reuse the HTTP handlers' validation.
func bodyOf(v any) []byte { return marshal(v) }
