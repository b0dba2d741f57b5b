package fakeapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// revisionField is the read-only field Options.ExtraFields adds.
const revisionField = "revision"

// refuseExtra answers 400 when Options.ExtraFields is on and body, a write's
// body, holds the read-only field it adds: NestJS's ValidationPipe with
// forbidNonWhitelisted answers so for any property its DTO does not name.
func (s *Server) refuseExtra(method string, body []byte) (resp, bool) {
	if !s.opts.ExtraFields || method == http.MethodGet || len(body) == 0 {
		return resp{}, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return resp{}, false
	}
	if _, ok := top[revisionField]; ok {
		return failList(http.StatusBadRequest, []string{"property " + revisionField + " should not exist"}), true
	}
	return resp{}, false
}

// wire reshapes a handler's successful JSON answer as the wire variants
// say (ExtraFields, OmitNulls, DeleteNoContent). Decoding and encoding
// again also sorts every object's keys, another order than the handlers'
// own; numbers keep their spelling (json.Number).
func (s *Server) wire(method string, res resp) resp {
	o := s.opts
	if res.isFailure() || res.ctype != "" {
		return res
	}
	if o.DeleteNoContent && method == http.MethodDelete {
		return resp{status: http.StatusNoContent, header: res.header}
	}
	if !o.ExtraFields && !o.OmitNulls || len(res.body) == 0 {
		return res
	}
	d := json.NewDecoder(bytes.NewReader(res.body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return res
	}
	if o.ExtraFields {
		addRevisions(v)
	}
	if o.OmitNulls {
		v = omitNulls(v)
	}
	res.body = marshal(v)
	return res
}

// addRevisions adds revisionField to v when it is an object with an id,
// or to each such row of v when it is a list or an envelope's list.
func addRevisions(v any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			addRevision(e)
		}
	case map[string]any:
		if _, ok := x["id"]; ok {
			addRevision(x)
			return
		}
		for _, k := range []string{"data", "items", "results"} {
			if l, ok := x[k].([]any); ok {
				for _, e := range l {
					addRevision(e)
				}
			}
		}
	}
}

// addRevision sets the revision of one object: a digest of its id and
// updated_at, so that it changes on every write and differs between an
// object and its copy.
func addRevision(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	id, _ := json.Marshal(m["id"])
	at, _ := json.Marshal(m["updated_at"])
	sum := sha256.Sum256([]byte(string(id) + "|" + string(at)))
	m[revisionField] = hex.EncodeToString(sum[:6])
}

// omitNulls returns v without its null members, at any depth. Nulls in
// lists stay: a list's length is its content.
func omitNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = omitNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = omitNulls(e)
		}
	}
	return v
}

// gzipped compresses body when Options.Gzip is on and the request accepts
// gzip; ok reports whether it did.
func (s *Server) gzipped(r *http.Request, body []byte) ([]byte, bool) {
	if !s.opts.Gzip || len(body) == 0 || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		return body, false
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(body)
	if zw.Close() != nil {
		return body, false
	}
	return b.Bytes(), true
}

// notesField is the writable field Options.WritableExtra gives types.
const notesField = "notes"

// writableExtra returns the value of Options.WritableExtra's field in a
// type's input, and whether it is there (and the option on). It is a
// string or null.
func (w *Workspace) writableExtra(in *input) (json.RawMessage, bool) {
	if !w.srv.opts.WritableExtra {
		return nil, false
	}
	v, ok := in.value(notesField)
	if !ok {
		return nil, false
	}
	if string(v) == "null" {
		return nil, true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		in.errorf(notesField + " must be a string")
		return nil, false
	}
	return v, true
}

// acceptsGzip reports whether Accept-Encoding values accept gzip: a coding
// "gzip" (or "x-gzip", or "*") whose q is not 0. "gzip;q=0" refuses it.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip", "*":
			default:
				continue
			}
			q := strings.ReplaceAll(strings.ToLower(params), " ", "")
			if strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q="), "0.") == "" {
				continue
			}
			return true
		}
	}
	return false
}
