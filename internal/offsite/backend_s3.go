package offsite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Backend keeps objects in a bucket under a prefix, through minio-go,
// which retries 503 SlowDown, 5xx answers and resets itself, with backoff
// (10 attempts). Uploads carry their MD5 (Content-MD5), so the server
// refuses a body cut short. Each request has s3Timeout to finish, so a
// hung connection fails the operation instead of the push.
type s3Backend struct {
	c      *minio.Client
	bucket string
	prefix string // "" or "acme/"
}

var _ Backend = (*s3Backend)(nil)

// s3Timeout bounds one operation (a pack is a few MiB).
const s3Timeout = 5 * time.Minute

func newS3Backend(l Location, c Credentials) (*s3Backend, error) {
	env := func(v *string, name string) {
		if *v == "" {
			*v = strings.TrimSpace(os.Getenv(name))
		}
	}
	env(&c.AccessKeyID, "AWS_ACCESS_KEY_ID")
	env(&c.SecretAccessKey, "AWS_SECRET_ACCESS_KEY")
	env(&c.SessionToken, "AWS_SESSION_TOKEN")
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, fmt.Errorf("%w: %s: no credentials: set access_key_id_file and secret_access_key_file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", ErrInvalid, l)
	}
	opts := &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Secure: l.Secure,
		Region: l.Region,
	}
	if l.PathStyle {
		opts.BucketLookup = minio.BucketLookupPath
	}
	cl, err := minio.New(l.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, l, err)
	}
	p := l.Prefix
	if p != "" {
		p += "/"
	}
	return &s3Backend{c: cl, bucket: l.Bucket, prefix: p}, nil
}

func (b *s3Backend) s3err(name string, err error) error {
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%s: %w", name, ErrNotExist)
	case "NoSuchBucket":
		return fmt.Errorf("bucket %s: %w", b.bucket, ErrNotExist)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func (b *s3Backend) Put(ctx context.Context, name string, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	_, err := b.c.PutObject(ctx, b.bucket, b.prefix+name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true})
	return b.s3err(name, err)
}

// Create is a conditional PUT (If-None-Match: *), which AWS S3, MinIO and
// SeaweedFS honour: the second of two creates gets 412 Precondition
// Failed. A server that ignores the header stores both, the last winning.
// So Create first asks whether the object exists (a process that reaches
// it long after another, say after a slow key derivation, finds the other's
// key and yields), which leaves two creates within one request of each
// other; create reads the object back after a pause to catch those.
func (b *s3Backend) Create(ctx context.Context, name string, data []byte) error {
	switch _, err := b.Stat(ctx, name); {
	case err == nil:
		return fmt.Errorf("%s: %w", name, ErrExist)
	case !errors.Is(err, ErrNotExist):
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true}
	opts.SetMatchETagExcept("*")
	_, err := b.c.PutObject(ctx, b.bucket, b.prefix+name, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil && minio.ToErrorResponse(err).Code == "PreconditionFailed" {
		return fmt.Errorf("%s: %w", name, ErrExist)
	}
	return b.s3err(name, err)
}

func (b *s3Backend) get(ctx context.Context, name string, opts minio.GetObjectOptions) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	o, err := b.c.GetObject(ctx, b.bucket, b.prefix+name, opts)
	if err != nil {
		return nil, b.s3err(name, err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	return data, b.s3err(name, err)
}

func (b *s3Backend) Get(ctx context.Context, name string) ([]byte, error) {
	return b.get(ctx, name, minio.GetObjectOptions{})
}

func (b *s3Backend) GetLimited(ctx context.Context, name string, max int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	o, err := b.c.GetObject(ctx, b.bucket, b.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, b.s3err(name, err)
	}
	defer o.Close()
	data, err := readLimited(o, name, max)
	if errors.Is(err, ErrCorrupt) {
		return nil, err
	}
	return data, b.s3err(name, err)
}

func (b *s3Backend) GetRange(ctx context.Context, name string, off, n int64) ([]byte, error) {
	var o minio.GetObjectOptions
	if err := o.SetRange(off, off+n-1); err != nil {
		return nil, err
	}
	data, err := b.get(ctx, name, o)
	if err == nil && int64(len(data)) != n {
		return nil, fmt.Errorf("%w: %s: %d bytes at %d, want %d", ErrCorrupt, name, len(data), off, n)
	}
	return data, err
}

func (b *s3Backend) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return b.s3err(prefix, o.Err)
		}
		if err := fn(ObjectInfo{Name: strings.TrimPrefix(o.Key, b.prefix), Size: o.Size, ModTime: o.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (b *s3Backend) Delete(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	err := b.c.RemoveObject(ctx, b.bucket, b.prefix+name, minio.RemoveObjectOptions{})
	if err = b.s3err(name, err); err != nil && !isNotExist(err) {
		return err
	}
	return nil
}

func (b *s3Backend) Stat(ctx context.Context, name string) (ObjectInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	o, err := b.c.StatObject(ctx, b.bucket, b.prefix+name, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, b.s3err(name, err)
	}
	return ObjectInfo{Name: name, Size: o.Size, ModTime: o.LastModified}, nil
}
