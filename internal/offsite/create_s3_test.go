package offsite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3test"
)

// TestCreateAgainstRealS3: the S3 server of the suites (SeaweedFS in
// .ci/run) honours the conditional create that makes repository creation
// safe: a second create of one name is ErrExist and leaves the first.
func TestCreateAgainstRealS3(t *testing.T) {
	srv := s3test.Get(t)
	l, err := offsite.ParseURL(srv.URL(s3test.Prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := offsite.OpenBackend(l, offsite.Credentials{AccessKeyID: srv.AccessKeyID, SecretAccessKey: srv.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Create(ctx, "keys/first", []byte("one")); err != nil {
		t.Fatalf("create = %v", err)
	}
	if err := b.Create(ctx, "keys/first", []byte("two")); !errors.Is(err, offsite.ErrExist) {
		t.Errorf("second create = %v, want ErrExist", err)
	}
	if got, err := b.Get(ctx, "keys/first"); err != nil || string(got) != "one" {
		t.Errorf("after two creates the object holds %q, %v; want the first", got, err)
	}
	_ = b.Delete(ctx, "keys/first")
}
