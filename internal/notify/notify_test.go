package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a test endpoint that answers the statuses given, in order
// (200 once they are spent), and keeps what it received.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	methods  []string
	bodies   [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.methods = append(r.methods, req.Method+" "+req.URL.Path)
	r.bodies = append(r.bodies, body)
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

func TestSend(t *testing.T) {
	partial := Event{Workspace: "acme", Status: "partial", Snapshot: "0123abcd", Summary: "objects 120; not read: members",
		Hint: "enspace-sync show --workspace acme 0123abcd", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cases := []struct {
		name      string
		event     Event
		statuses  []int
		attempts  int
		wantCalls []string
		wantErr   bool
		wantSleep []time.Duration
	}{
		{"partial goes to the webhook", partial, nil, 3, []string{"POST /hook/SECRET"}, false, nil},
		{"complete calls the heartbeat only", Event{Workspace: "acme", Status: "complete"}, nil, 3, []string{"GET /beat/SECRET"}, false, nil},
		{"anomaly alerts and beats", Event{Workspace: "acme", Status: "complete", Anomalies: []string{"items shrank by 50%"}}, nil, 3,
			[]string{"POST /hook/SECRET", "GET /beat/SECRET"}, false, nil},
		{"aborted sends nothing", Event{Workspace: "acme", Status: "aborted"}, nil, 3, nil, false, nil},
		{"5xx is retried with backoff", partial, []int{503, 500}, 3,
			[]string{"POST /hook/SECRET", "POST /hook/SECRET", "POST /hook/SECRET"}, false, []time.Duration{time.Second, 2 * time.Second}},
		{"attempts run out", partial, []int{500, 500, 500}, 3,
			[]string{"POST /hook/SECRET", "POST /hook/SECRET", "POST /hook/SECRET"}, true, []time.Duration{time.Second, 2 * time.Second}},
		{"404 is not retried", partial, []int{404}, 3, []string{"POST /hook/SECRET"}, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{statuses: tc.statuses}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			var logs bytes.Buffer
			var slept []time.Duration
			n := New(Options{
				WebhookURL: srv.URL + "/hook/SECRET?token=SECRET", HeartbeatURL: srv.URL + "/beat/SECRET",
				Attempts: tc.attempts, Backoff: time.Second,
				Sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			})
			err := n.Send(context.Background(), tc.event)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Send: err = %v, want error %v", err, tc.wantErr)
			}
			if got, want := strings.Join(rec.methods, ","), strings.Join(tc.wantCalls, ","); got != want {
				t.Errorf("requests = %q, want %q", got, want)
			}
			if got, want := len(slept), len(tc.wantSleep); got != want {
				t.Fatalf("slept %v, want %v", slept, tc.wantSleep)
			}
			for i := range slept {
				if slept[i] != tc.wantSleep[i] {
					t.Errorf("sleep %d = %s, want %s", i, slept[i], tc.wantSleep[i])
				}
			}
			for _, s := range []string{logs.String(), errText(err)} {
				if strings.Contains(s, "SECRET") {
					t.Errorf("a URL's secret part is printed: %s", s)
				}
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestWebhookBody(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	e := Event{Workspace: "acme", Status: "partial", Snapshot: "0123abcd", Summary: "120 objects; not read: members",
		Hint: "enspace-sync show --workspace acme 0123abcd", Error: ""}
	if err := New(Options{WebhookURL: srv.URL}).Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.bodies[0], &got); err != nil {
		t.Fatalf("body %s: %v", rec.bodies[0], err)
	}
	want := "enspace-sync: acme: backup partial (snapshot 0123abcd)\n120 objects; not read: members\nenspace-sync show --workspace acme 0123abcd"
	if got["text"] != want {
		t.Errorf("text = %q, want %q", got["text"], want)
	}
	for k, v := range map[string]string{"workspace": "acme", "status": "partial", "snapshot": "0123abcd", "hint": e.Hint} {
		if got[k] != v {
			t.Errorf("%s = %v, want %q", k, got[k], v)
		}
	}
}

func TestUnreachableIsNotFatal(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook/SECRET"
	srv.Close() // nothing listens any more
	var logs bytes.Buffer
	n := New(Options{WebhookURL: url, Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	err := n.Send(context.Background(), Event{Workspace: "acme", Status: "failed", Error: "boom"})
	if err == nil {
		t.Fatal("Send to a closed port: no error")
	}
	if strings.Contains(err.Error()+logs.String(), "SECRET") {
		t.Errorf("the URL's path is printed: %v\n%s", err, logs.String())
	}
	if got := strings.Count(logs.String(), "notification not delivered"); got != 1 {
		t.Errorf("logged %d final failures, want 1:\n%s", got, logs.String())
	}
}

func TestWhere(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T/B/X": "https://hooks.slack.com",
		"http://127.0.0.1:8080/x?token=y":        "http://127.0.0.1:8080",
		"::nonsense":                             "(invalid URL)",
	} {
		if got := Where(in); got != want {
			t.Errorf("Where(%q) = %q, want %q", in, got, want)
		}
	}
}

// An endpoint's Retry-After on 429 lengthens the pause; one beyond a minute
// ends the delivery rather than hold the daemon.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, tc := range []struct {
		after     string
		wantCalls int
		wantSleep []time.Duration
		wantErr   bool
	}{
		{"5", 2, []time.Duration{5 * time.Second}, false},
		{"0", 2, []time.Duration{time.Second}, false},
		{"3600", 1, nil, true},
	} {
		t.Run(tc.after, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls++
				if calls == 1 {
					w.Header().Set("Retry-After", tc.after)
					w.WriteHeader(http.StatusTooManyRequests)
				}
			}))
			defer srv.Close()
			var slept []time.Duration
			n := New(Options{WebhookURL: srv.URL + "/hook", Attempts: 3, Backoff: time.Second,
				Sleep:  func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
				Logger: slog.New(slog.DiscardHandler)})
			err := n.Send(context.Background(), Event{Workspace: "acme", Status: "failed"})
			if (err != nil) != tc.wantErr || calls != tc.wantCalls {
				t.Errorf("Send = %v after %d calls, want error %v after %d", err, calls, tc.wantErr, tc.wantCalls)
			}
			if fmt.Sprint(slept) != fmt.Sprint(tc.wantSleep) {
				t.Errorf("slept %v, want %v", slept, tc.wantSleep)
			}
		})
	}
}
