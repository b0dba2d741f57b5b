package offsite

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The S3 backend is tested here against gofakes3, an S3 server in the
// test's own process: it checks the backend's requests and error mapping
// in every `go test` run without a server to start. The same code runs
// against SeaweedFS in the end-to-end suite of .ci/run.
func newFakeS3(t *testing.T) (Location, *s3mem.Backend) {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket("enspace-backups"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	l, err := ParseURL("s3://enspace-backups/acme/team?region=us-east-1&path_style=true&endpoint=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return l, mem
}

func TestS3Backend(t *testing.T) {
	ctx := context.Background()
	l, _ := newFakeS3(t)
	if _, err := OpenBackend(l, Credentials{}); err == nil && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Error("an S3 backend without credentials opened")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-test-key")
	b, err := OpenBackend(l, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "keys/absent"); !errors.Is(err, ErrNotExist) {
		t.Errorf("get of an absent object = %v", err)
	}
	if _, err := b.Stat(ctx, "keys/absent"); !errors.Is(err, ErrNotExist) {
		t.Errorf("stat of an absent object = %v", err)
	}
	if err := b.Put(ctx, "data/abc", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	checkCreate(t, b)
	if got, err := b.GetRange(ctx, "data/abc", 2, 3); err != nil || string(got) != "234" {
		t.Errorf("range = %q, %v", got, err)
	}
	if st, err := b.Stat(ctx, "data/abc"); err != nil || st.Size != 10 {
		t.Errorf("stat = %+v, %v", st, err)
	}
	var names []string
	if err := b.List(ctx, "data/", func(o ObjectInfo) error { names = append(names, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"data/abc"}) {
		t.Errorf("list = %q", names)
	}
	if err := b.Delete(ctx, "data/abc"); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "data/abc"); err != nil {
		t.Errorf("second delete = %v", err)
	}
}

// TestS3RoundTrip pushes two snapshots to the fake bucket and reads them
// back, with the credentials as the config passes them.
func TestS3RoundTrip(t *testing.T) {
	ctx := context.Background()
	l, mem := newFakeS3(t)
	b, err := OpenBackend(l, Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret-test-key"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenOrInit(ctx, b, testOptions("host-s3"))
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{snaps: []*memSnap{day("s1", 1, 2000, 0), day("s2", 2, 2000, 20)}}
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	got := restoreAll(t, r)
	for _, s := range src.snaps {
		if !reflect.DeepEqual(got["host-s3/"+s.id], want(s)) {
			t.Errorf("%s differs", s.id)
		}
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v, err)
	}
	res, err := mem.ListBucket("enspace-backups", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Contents {
		if !strings.HasPrefix(o.Key, "acme/team/") {
			t.Errorf("object %s outside the prefix", o.Key)
		}
	}
	if len(res.Contents) < 5 {
		t.Errorf("%d objects in the bucket", len(res.Contents))
	}
}

// TestS3CreateWhereTheConditionIsIgnored: against a server that ignores
// If-None-Match (it stores the last of two PUTs), a create that comes
// after another finds the object and yields instead of replacing the
// repository's only key.
func TestS3CreateWhereTheConditionIsIgnored(t *testing.T) {
	mem := s3mem.New()
	if err := mem.CreateBucket("enspace-backups"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(mem).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("If-None-Match")
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	l, err := ParseURL("s3://enspace-backups/acme?region=us-east-1&path_style=true&endpoint=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-test-key")
	b, err := OpenBackend(l, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	checkCreate(t, b)
}
