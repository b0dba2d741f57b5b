package restore

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"strings"
	"testing"
)

// stallClient is a memClient whose create of the item named B waits
// until its context ends, and whose other item creates wait until B's
// was sent.
type stallClient struct {
	*memClient
	bSent chan struct{}
}

func (c *stallClient) Do(ctx context.Context, route, method string, params map[string]string, body any) (json.RawMessage, error) {
	if route == "items.create" {
		raw, _ := json.Marshal(body)
		if strings.Contains(string(raw), `"B"`) {
			close(c.bSent)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		<-c.bSent
	}
	return c.memClient.Do(ctx, route, method, params, body)
}

// failPutIDs is an id map that cannot record items.
type failPutIDs struct{ *memIDs }

var errDisk = errors.New("id map: disk I/O error")

func (f failPutIDs) Put(k, id, target string) error {
	if k == string(kind.Items) {
		return errDisk
	}
	return f.memIDs.Put(k, id, target)
}

// TestApplyStoppedByFatalErrorIsNotInterrupted: a step in flight when a
// sibling's fatal error (the id map cannot be written) stops the apply
// says that the apply stopped and why, not that it was interrupted: no
// one pressed Ctrl-C. A step cut off by the caller's cancellation still
// says "interrupted".
func TestApplyStoppedByFatalErrorIsNotInterrupted(t *testing.T) {
	source := setOf(t, typeClients, item(1001, "clients", `{"name":"A"}`), item(1002, "clients", `{"name":"B"}`))
	ids := failPutIDs{newMemIDs()}
	p := planFor(t, source, NewSet(), ids.memIDs)
	cl := &stallClient{memClient: newMemClient(), bSent: make(chan struct{})}
	_, err := (&Engine{Client: cl, Workspace: "acme", IDs: ids}).Apply(context.Background(), p)
	if !errors.Is(err, errDisk) {
		t.Fatalf("apply = %v, want the id map's error", err)
	}
	s := stepFor(t, p, "items", "1002")
	if s.Result == nil || s.Result.Status != StatusFailed || strings.Contains(s.Result.Error, "interrupted") ||
		!strings.Contains(s.Result.Error, "the apply stopped: "+errDisk.Error()) {
		t.Errorf("step cut off by a sibling's fatal error: result %+v, want it to say the apply stopped: %v", s.Result, errDisk)
	}

	// Ctrl-C: the caller's context is cancelled while B's create waits.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := newMemIDs()
	p = planFor(t, source, NewSet(), mem)
	cl = &stallClient{memClient: newMemClient(), bSent: make(chan struct{})}
	go func() { <-cl.bSent; cancel() }()
	_, err = (&Engine{Client: cl, Workspace: "acme", IDs: mem}).Apply(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted apply = %v, want context.Canceled", err)
	}
	if s := stepFor(t, p, "items", "1002"); s.Result == nil || s.Result.Error != "interrupted before the server answered" {
		t.Errorf("step cut off by Ctrl-C: result %+v", s.Result)
	}
}
