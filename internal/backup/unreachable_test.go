package backup

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func refusedErr() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

// failAll makes every collection and singleton of src fail with err.
func failAll(src *memSource, err error) {
	for _, k := range kind.All() {
		src.fail[k.Name] = err
	}
}

// TestRunStopsWhenNothingAnswers: a server that cannot be reached before
// anything was stored stops the run with ErrUnreachable.
func TestRunStopsWhenNothingAnswers(t *testing.T) {
	src := demoSource()
	failAll(src, refusedErr())
	_, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want ErrUnreachable wrapping connection refused", err)
	}
	if got := api.Cause(err); got != "connection refused" {
		t.Errorf("Cause = %q", got)
	}
}

// TestRunKeepsGoingOnceObjectsAreStored: the same failure after objects
// were stored only fails its kind.
func TestRunKeepsGoingOnceObjectsAreStored(t *testing.T) {
	src := demoSource()
	src.fail["flows/contracts"] = refusedErr()
	// The flows of a type are listed once the type is stored.
	res, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed["flows"] == "" {
		t.Errorf("flows not marked failed: %v", res.Failed)
	}
}

// TestRunNotTheAPI: 404 everywhere with nothing stored says the base URL
// is not the API; one route's 404 among answers does not.
func TestRunNotTheAPI(t *testing.T) {
	src := demoSource()
	failAll(src, &api.Error{StatusCode: 404, Status: "Not Found"})
	res, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
	if err != nil || !res.NotTheAPI {
		t.Errorf("404 everywhere: NotTheAPI %v, err %v", res.NotTheAPI, err)
	}
	src = demoSource()
	src.fail["members"] = &api.Error{StatusCode: 404, Status: "Not Found"}
	res, err = Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
	if err != nil || res.NotTheAPI {
		t.Errorf("one 404: NotTheAPI %v, err %v", res.NotTheAPI, err)
	}
}
