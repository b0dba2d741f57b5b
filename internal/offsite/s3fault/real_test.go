package s3fault_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/enspace-sync/enspace-sync/internal/offsite/s3fault"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3test"
)

// client returns a minio-go client of endpoint (http://host:port) with
// srv's credentials, retrying as minio-go does by default or not at all.
func client(t *testing.T, srv *s3test.Server, endpoint string, retries int) *minio.Client {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(srv.AccessKeyID, srv.SecretAccessKey, ""),
		Secure:       u.Scheme == "https",
		Region:       srv.Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   retries,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestProxyAgainstRealS3 runs the faults against the S3 server of the
// offsite suites: signed requests pass through the proxy, SlowDown and
// resets are retried by the client until they succeed, and an upload that
// the proxy cuts is never stored.
func TestProxyAgainstRealS3(t *testing.T) {
	srv := s3test.Get(t)
	p, err := s3fault.Start(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	prefix := s3test.Prefix(t) + "/"
	direct := client(t, srv, srv.Endpoint, 1)
	body := bytes.Repeat([]byte("0123456789"), 50_000)

	put := func(c *minio.Client, name string) error {
		_, err := c.PutObject(ctx, srv.Bucket, prefix+name, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		return err
	}
	stored := func(name string) bool {
		o, err := direct.GetObject(ctx, srv.Bucket, prefix+name, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		got, err := io.ReadAll(o)
		if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" {
			return false
		} else if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("%s holds %d bytes, not the %d uploaded", name, len(got), len(body))
		}
		return true
	}

	retrying := client(t, srv, p.URL(), 10)
	p.SetRule(s3fault.Only("PUT", s3fault.First(s3fault.Nth(1, s3fault.SlowDown), s3fault.Nth(2, s3fault.Reset))))
	if err := put(retrying, "retried"); err != nil {
		t.Fatalf("a PUT through one SlowDown and one reset: %v, want minio-go to retry it to success", err)
	}
	if !stored("retried") {
		t.Fatal("the retried PUT is not stored")
	}
	if s := p.Stats(); s.ByFault["slowdown"] != 1 || s.ByFault["reset"] != 1 || s.ByMethod["PUT"] < 3 {
		t.Errorf("stats = %+v, want 1 slowdown, 1 reset and the PUT that passed", s)
	}

	once := client(t, srv, p.URL(), 1)
	p.SetRule(s3fault.Only("PUT", s3fault.Every(1, s3fault.Truncate)))
	if err := put(once, "cut"); err == nil {
		t.Fatal("a cut upload succeeded")
	}
	if stored("cut") {
		t.Error("the server stored an upload the proxy cut in half")
	}

	p.SetRule(s3fault.Only("PUT", s3fault.Every(1, s3fault.SlowDown)))
	err = put(once, "throttled")
	if resp := minio.ToErrorResponse(err); resp.Code != "SlowDown" || resp.StatusCode != 503 {
		t.Errorf("a PUT answered SlowDown without retries: %v (code %q), want S3's SlowDown", err, resp.Code)
	}

	p.SetRule(s3fault.Only("PUT", s3fault.Every(1, s3fault.LoseAnswer)))
	if err := put(once, "lost"); err == nil || strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("a PUT whose answer was lost: %v, want a connection error", err)
	}
	if !stored("lost") {
		t.Error("a PUT whose answer was lost is not stored: the server should have acted on it")
	}
}
