package fakeapi

import (
	"net/http"
	"strings"
)

// mergeData sets the values of changes over an item's old values. With
// Options.MergeOnUpdate or ReplaceOnUpdate a value set to null is removed,
// as the contract says a null clears a key; otherwise it is kept as a null
// value.
func (s *Server) mergeData(old, changes []value) []value {
	merged := mergeVals(old, changes)
	if !s.opts.MergeOnUpdate && !s.opts.ReplaceOnUpdate {
		return merged
	}
	out := merged[:0]
	for _, v := range merged {
		if !isNull(v.raw) {
			out = append(out, v)
		}
	}
	return out
}

// createAnswer replaces the answer of a successful create as
// Options.CreateAnswer says; the object is created all the same.
func (s *Server) createAnswer(route string, res resp) resp {
	if s.opts.CreateAnswer == "" || res.isFailure() || !strings.HasSuffix(route, ".create") {
		return res
	}
	switch s.opts.CreateAnswer {
	case "empty":
		return resp{status: http.StatusCreated}
	case "array":
		return resp{status: http.StatusCreated, body: []byte(`[]`)}
	default:
		return resp{status: http.StatusCreated, body: []byte(`{"type":"array","items":{"type":"object","properties":{}}}`)}
	}
}
