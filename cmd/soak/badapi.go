package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// badMarker is in every malformed answer, so that a stored copy is found.
const badMarker = "soak-bad-answer"

// badAnswer is one malformed answer to the list of groups (a kind without
// a count route, so that the client pages until a short page).
type badAnswer struct {
	name     string
	ctype    string
	loop     bool // the rows of page 1 are valid and kept under the failed kind
	pageSize int
	body     func(limit int) []byte
}

var badAnswers = []badAnswer{
	{"an HTML page with status 200", "text/html", false, 0, func(int) []byte {
		return []byte("<!DOCTYPE html><html><body><h1>" + badMarker + "</h1><p>Sign in</p></body></html>")
	}},
	{"JSON cut short (Content-Length agrees)", "application/json", false, 0, func(int) []byte {
		return []byte(`[{"id":1,"name":"` + badMarker + `","users":[1,2`)
	}},
	{"rows that are not objects", "application/json", false, 0, func(int) []byte {
		return []byte(`[1, 2, "` + badMarker + `"]`)
	}},
	{"an envelope whose data is a string", "application/json", false, 0, func(int) []byte {
		return []byte(`{"data": "` + badMarker + `", "total": 3}`)
	}},
	{"a bare string", "application/json", false, 0, func(int) []byte { return []byte(`"` + badMarker + `"`) }},
	{"a 50 MiB body", "application/json", false, 0, func(int) []byte {
		return []byte(`{"junk":"` + badMarker + strings.Repeat("x", 50<<20) + `"}`)
	}},
	{"a page that loops (every page the same, full)", "application/json", true, 100, func(limit int) []byte {
		rows := make([]map[string]any, limit)
		for i := range rows {
			rows[i] = map[string]any{"id": i + 1, "name": fmt.Sprintf("%s %d", badMarker, i), "users": []int{}}
		}
		b, _ := json.Marshal(rows)
		return b
	}},
}

// badAnswerServer answers the list of groups with a malformed answer and
// passes every other request to the fake.
type badAnswerServer struct {
	next   http.Handler
	answer badAnswer
	served atomic.Int64
}

func (s *badAnswerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/ws/member-groups" {
		s.next.ServeHTTP(w, r)
		return
	}
	s.served.Add(1)
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 100
	}
	body := s.answer.body(limit)
	w.Header().Set("Content-Type", s.answer.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// badAnswerResult counts how the malformed answers ended.
type badAnswerResult struct {
	cases, notError, stored, panics int64
	notes                           []string
}

// checkBadAnswers backs up acme once per malformed answer: the backup
// must end partial with an error naming groups, and the snapshot must not
// hold the answer.
func checkBadAnswers(o *options) (*badAnswerResult, error) {
	res := &badAnswerResult{}
	for i, a := range badAnswers {
		bs := &badAnswerServer{answer: a}
		f, err := startFake(fakeapi.Options{Data: "demo"}, func(h http.Handler) http.Handler { bs.next = h; return bs })
		if err != nil {
			return nil, err
		}
		w, err := newWorkdir(o.bin, filepath.Join(o.tmp, "badanswer", fmt.Sprint(i)), configOptions{url: f.url, envExtra: "concurrency: 4"})
		if err != nil {
			f.close()
			return nil, err
		}
		r := w.run("backup", "--json")
		f.close()
		res.cases++
		if panicked(r.out) {
			res.panics++
			res.notes = append(res.notes, fmt.Sprintf("%s: a panic or stack trace: %s", a.name, firstLine(r.out)))
		}
		var snap struct {
			Status string            `json:"status"`
			Errors map[string]string `json:"errors"`
		}
		line, _, _ := strings.Cut(r.stdout, "\n")
		_ = json.Unmarshal([]byte(line), &snap)
		named := false
		for name := range snap.Errors {
			named = named || name == kind.Groups
		}
		if r.code != 3 || snap.Status != "partial" || !named {
			res.notError++
			res.notes = append(res.notes, fmt.Sprintf("%s: exit %d, status %q, errors %v", a.name, r.code, snap.Status, snap.Errors))
		}
		if r.code == 0 || r.code == 3 {
			show := w.run("show", "latest", kind.Groups)
			exp := w.run("export", "--snapshot", "latest", "--output", filepath.Join(w.dir, "export"))
			shown := strings.Count(show.stdout, badMarker)
			if a.loop {
				// Rows of the first page are a valid answer: the kind is
				// marked failed and keeps what was read (Writer.Fail), but
				// no repeated page may add to it.
				shown = max(0, shown-a.pageSize)
			}
			if shown > 0 || strings.Contains(exp.out, badMarker) || fileHolds(filepath.Join(w.dir, "export"), badMarker) {
				res.stored++
				res.notes = append(res.notes, fmt.Sprintf("%s: stored in the snapshot: %s", a.name, firstLine(show.stdout)))
			}
		}
		if bs.served.Load() == 0 {
			return nil, fmt.Errorf("%s: the groups list was never asked for", a.name)
		}
	}
	return res, nil
}
