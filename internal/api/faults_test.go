package api

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// faultServer serves a collection of members and, when faulty, answers
// about 10% of requests 429 (half with Retry-After), 5% 5xx and 2% with a
// reset, chosen deterministically from the request and its attempt number.
// It notes every request that arrives before the Retry-After it was given
// ran out on the clients' clock.
type faultServer struct {
	objs   []string
	counts bool
	faulty bool
	clock  *fakeClock

	mu        sync.Mutex
	attempts  map[string]int
	notBefore map[string]time.Time
	early     []string
	injected  map[string]int
}

func newFaultServer(n int, counts, faulty bool, clock *fakeClock) *faultServer {
	return &faultServer{objs: objects(1, n), counts: counts, faulty: faulty, clock: clock,
		attempts: map[string]int{}, notBefore: map[string]time.Time{}, injected: map[string]int{}}
}

// fault picks the fault for the n-th attempt of key (0 for the first), and
// a Retry-After in seconds.
func fault(key string, n int) (string, int) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s#%d", key, n)
	v := h.Sum64()
	secs := int(1 + (v/100)%3)
	switch p := v % 100; {
	case p < 3:
		return "429 seconds", secs
	case p < 5:
		return "429 date", secs
	case p < 10:
		return "429", 0
	case p < 11:
		return "503 date", secs
	case p < 15:
		return []string{"500", "502", "503", "504"}[p-11], 0
	case p < 17:
		return "reset", 0
	}
	return "", 0
}

func (s *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path + "?" + r.URL.RawQuery
	now := s.clock.Now()
	s.mu.Lock()
	n := s.attempts[key]
	s.attempts[key]++
	if nb, ok := s.notBefore[key]; ok && now.Before(nb) {
		s.early = append(s.early, fmt.Sprintf("%s at %s, allowed from %s", key, now.Format(time.TimeOnly), nb.Format(time.TimeOnly)))
	}
	delete(s.notBefore, key)
	kind, secs := "", 0
	if s.faulty {
		kind, secs = fault(key, n)
	}
	retryAfter := ""
	switch {
	case strings.HasSuffix(kind, "seconds"):
		retryAfter = fmt.Sprint(secs)
		s.notBefore[key] = now.Add(time.Duration(secs) * time.Second)
	case strings.HasSuffix(kind, "date"):
		at := now.Add(time.Duration(secs) * time.Second).Truncate(time.Second)
		retryAfter = at.Format(http.TimeFormat)
		s.notBefore[key] = at
	}
	if kind != "" {
		s.injected[kind]++
	}
	s.mu.Unlock()

	switch {
	case kind == "reset":
		resetMidBody(w)
	case kind != "":
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
			// The server's clock, which a Retry-After date is measured
			// against (net/http's own Date would be the real clock).
			w.Header().Set("Date", now.Format(http.TimeFormat))
		}
		status := 0
		fmt.Sscan(kind, &status)
		writeJSON(w, status, fmt.Sprintf(`{"statusCode":%d,"message":"injected"}`, status))
	case r.URL.Path == "/ws/members/count" && s.counts:
		writeJSON(w, 200, fmt.Sprintf(`{"count": %d}`, len(s.objs)))
	case r.URL.Path == "/ws/members/count":
		writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
	default:
		list, _ := pageOf(s.objs, r)
		writeJSON(w, 200, list)
	}
}

func (s *faultServer) faults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, n := range s.injected {
		total += n
	}
	return total
}

// listMembers lists the members s serves and returns them by id.
func listMembers(t *testing.T, s *faultServer, concurrency int) (ListResult, map[string]string, *Client) {
	t.Helper()
	srv := serve(t, s.ServeHTTP)
	c, err := New(Options{BaseURL: srv.URL, APIKey: testKey, PageSize: 10, Concurrency: concurrency,
		Sleep: s.clock.Sleep, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, func(page []Object) error {
		for _, o := range page {
			got[o.ID] = string(o.Raw)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return res, got, c
}

func TestFaultsChangeNothing(t *testing.T) {
	for _, counts := range []bool{true, false} {
		t.Run(fmt.Sprint("counts=", counts), func(t *testing.T) {
			clean := newFaultServer(1000, counts, false, newFakeClock())
			wantRes, want, _ := listMembers(t, clean, 4)

			faulty := newFaultServer(1000, counts, true, newFakeClock())
			res, got, c := listMembers(t, faulty, 4)

			if len(got) != 1000 || !maps.Equal(got, want) {
				t.Errorf("with faults: %d objects, differing from the %d without", len(got), len(want))
			}
			if res != wantRes {
				t.Errorf("result with faults %+v, without %+v", res, wantRes)
			}
			if len(faulty.early) > 0 {
				t.Errorf("%d requests came before their Retry-After ran out: %s", len(faulty.early), strings.Join(faulty.early, "; "))
			}
			st := c.Stats()
			faults := faulty.faults()
			for _, kind := range []string{"429 seconds", "429 date", "429", "500", "502", "503", "503 date", "504", "reset"} {
				if faulty.injected[kind] == 0 {
					t.Errorf("no %q fault injected: the test proves less than it says", kind)
				}
			}
			if st.Retries != faults || st.Waits != faults || st.ByStatus[0] != faulty.injected["reset"] ||
				st.ByStatus[429] != faulty.injected["429"]+faulty.injected["429 seconds"]+faulty.injected["429 date"] {
				t.Errorf("stats %+v do not match the faults injected %v", st, faulty.injected)
			}
			t.Logf("%d requests, %d faults %v, waited %s on the fake clock", st.Requests, faults, faulty.injected, st.WaitTime)
		})
	}
}
