package offsite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strings"
	"time"
)

// Backend stores objects by name ("data/3fa4...", "keys/9c1e..."). Names
// are hashes or random ids under a few fixed directories; nothing else.
type Backend interface {
	Put(ctx context.Context, name string, data []byte) error
	// Create stores data under name unless an object is there already
	// (ErrExist): of two creates at once, one fails. The repository's
	// first key is created so (see Init).
	Create(ctx context.Context, name string, data []byte) error
	// Get returns the object's bytes in memory that is the caller's
	// from then on (restore decrypts a pack in place).
	Get(ctx context.Context, name string) ([]byte, error)
	GetRange(ctx context.Context, name string, off, n int64) ([]byte, error)
	// List calls fn for each object whose name starts with prefix.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Delete removes an object; deleting one that is gone is no error.
	Delete(ctx context.Context, name string) error
	// Stat is ErrNotExist for an absent object.
	Stat(ctx context.Context, name string) (ObjectInfo, error)
}

// limitedGetter is a Backend that reads at most max bytes of an object.
type limitedGetter interface {
	GetLimited(ctx context.Context, name string, max int64) ([]byte, error)
}

// getLimited reads a small object (keys/, locks/), refusing one larger
// than max with ErrCorrupt before reading it whole: anyone who can write
// to the target could otherwise make every reader load a huge object.
func getLimited(ctx context.Context, b Backend, name string, max int64) ([]byte, error) {
	if lg, ok := b.(limitedGetter); ok {
		return lg.GetLimited(ctx, name, max)
	}
	st, err := b.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if st.Size > max {
		return nil, tooLarge(name, max)
	}
	data, err := b.Get(ctx, name)
	if err == nil && int64(len(data)) > max {
		return nil, tooLarge(name, max)
	}
	return data, err
}

// readLimited reads r to its end, refusing more than max bytes.
func readLimited(r io.Reader, name string, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(data)) > max {
		return nil, tooLarge(name, max)
	}
	return data, err
}

func tooLarge(name string, max int64) error {
	return fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, name, max)
}

// ObjectInfo is one stored object.
type ObjectInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// Location is a parsed target URL.
type Location struct {
	Scheme string // "file" or "s3"
	Path   string // file: the directory
	// S3:
	Bucket    string
	Prefix    string // without leading or trailing slash
	Endpoint  string // host[:port]
	Secure    bool   // https (the default)
	Region    string
	PathStyle bool
}

// Credentials are an S3 target's keys; empty fields are taken from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// String returns the location without credentials (URLs never carry them).
func (l Location) String() string {
	if l.Scheme == "file" {
		return "file://" + l.Path
	}
	s := "s3://" + l.Bucket
	if l.Prefix != "" {
		s += "/" + l.Prefix
	}
	return s
}

// Canonical is one spelling of the location for every URL that names the
// same stored repository, without credentials (URLs never carry them): a
// file target's cleaned path ("file:///mnt/nas", whatever its trailing
// slashes, dots or localhost host), an S3 target's bucket and prefix with
// its endpoint only when it is not the default, lower-cased, without the
// port the scheme implies ("s3://b/p", "s3://b/p?endpoint=http://minio:9000").
// The prefix is escaped as in a URL's path, so that a "?" in it (a legal
// S3 key) cannot read as the start of another target's options.
// Path_style is left out, and so is a region of AWS's commercial
// partition: they say how to address the bucket, not which one it is. A
// region of another partition (cn-*, us-gov-*, the isolated ones) is
// kept: against an Amazon endpoint the client sends its requests to that
// partition's hosts, whose buckets are other buckets of the same name.
// A URL already spelled this way is its own canonical form, so a cache
// keyed by it stays where it was.
func (l Location) Canonical() string {
	if l.Scheme != "s3" {
		return l.String()
	}
	s := "s3://" + l.Bucket
	if l.Prefix != "" {
		s += (&url.URL{Path: "/" + l.Prefix}).EscapedPath()
	}
	scheme, port := "https", "443"
	if !l.Secure {
		scheme, port = "http", "80"
	}
	host := strings.ToLower(l.Endpoint)
	if h, p, err := net.SplitHostPort(host); err == nil && p == port {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]" // an IPv6 address keeps its brackets
		}
	}
	var opts []string
	if scheme != "https" || host != "s3.amazonaws.com" {
		opts = append(opts, "endpoint="+scheme+"://"+host)
	}
	if otherPartition(l.Region) { // as written: the client's table of regions is case-sensitive
		opts = append(opts, "region="+l.Region)
	}
	if len(opts) > 0 {
		s += "?" + strings.Join(opts, "&")
	}
	return s
}

// otherPartition reports whether region is one of an AWS partition other
// than the commercial one (aws-cn, aws-us-gov, the isolated and sovereign
// ones), whose bucket names are a namespace of their own.
func otherPartition(region string) bool {
	for _, p := range []string{"cn-", "us-gov-", "us-iso", "eu-iso", "eusc-"} {
		if strings.HasPrefix(region, p) {
			return true
		}
	}
	return false
}

// ParseURL parses file:///abs/dir or
// s3://bucket/prefix?endpoint=...&region=...&path_style=true.
func ParseURL(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Only the reason: url.Error quotes the whole URL, which may
		// carry credentials the parse stopped before seeing.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Location{}, fmt.Errorf("%w: url: %v", ErrInvalid, err)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%w: url: credentials do not belong in the URL: use access_key_id_file and secret_access_key_file", ErrInvalid)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w: url: file:// takes an absolute path (file:///mnt/nas/enspace), not a host", ErrInvalid)
		}
		if u.RawQuery != "" || !strings.HasPrefix(u.Path, "/") {
			return Location{}, fmt.Errorf("%w: url: file:// takes an absolute path and no options", ErrInvalid)
		}
		return Location{Scheme: "file", Path: path.Clean(u.Path)}, nil
	case "s3":
		l := Location{Scheme: "s3", Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Endpoint: "s3.amazonaws.com", Secure: true}
		if l.Bucket == "" {
			return Location{}, fmt.Errorf("%w: url: s3:// needs a bucket (s3://bucket/prefix)", ErrInvalid)
		}
		for k, vs := range u.Query() {
			v := vs[len(vs)-1]
			switch k {
			case "endpoint":
				e, err := url.Parse(v)
				if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || (e.Path != "" && e.Path != "/") || e.User != nil {
					shown := "" // never the text: it may carry credentials
					if err == nil {
						shown = fmt.Sprintf(" %q", e.Redacted())
					}
					return Location{}, fmt.Errorf("%w: url: endpoint%s: want http(s)://host[:port], with no credentials", ErrInvalid, shown)
				}
				l.Endpoint, l.Secure = e.Host, e.Scheme == "https"
			case "region":
				l.Region = v
			case "path_style":
				switch v {
				case "true", "1":
					l.PathStyle = true
				case "false", "0":
				default:
					return Location{}, fmt.Errorf("%w: url: path_style=%q: want true or false", ErrInvalid, v)
				}
			default:
				return Location{}, fmt.Errorf("%w: url: unknown option %q (endpoint, region, path_style)", ErrInvalid, k)
			}
		}
		return l, nil
	}
	return Location{}, fmt.Errorf("%w: url: scheme %q: want file:// or s3://", ErrInvalid, u.Scheme)
}

// OpenBackend returns the backend of a location.
func OpenBackend(l Location, c Credentials) (Backend, error) {
	switch l.Scheme {
	case "file":
		return &fileBackend{dir: l.Path}, nil
	case "s3":
		return newS3Backend(l, c)
	}
	return nil, fmt.Errorf("%w: scheme %q", ErrInvalid, l.Scheme)
}
