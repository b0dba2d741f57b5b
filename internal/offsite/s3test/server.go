package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// WeedVersion is the SeaweedFS module version that .ci/s3server.sh builds
// and caches as weed-WeedVersion (a test checks that the two agree).
const WeedVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// DefaultWeed is where .ci/s3server.sh caches the weed binary.
const DefaultWeed = "/var/cache/enspace-sync/weed-" + WeedVersion

// The environment variables this package reads.
const (
	EnvEndpoint  = "ENSPACE_TEST_S3_ENDPOINT"
	EnvAccessKey = "ENSPACE_TEST_S3_ACCESS_KEY_ID"
	EnvSecretKey = "ENSPACE_TEST_S3_SECRET_ACCESS_KEY"
	EnvBucket    = "ENSPACE_TEST_S3_BUCKET"
	EnvRegion    = "ENSPACE_TEST_S3_REGION"
	EnvDir       = "ENSPACE_TEST_S3_DIR"
	EnvRequire   = "ENSPACE_REQUIRE_S3"
	EnvWeed      = "ENSPACE_TEST_WEED"
)

// Server is an S3 endpoint that tests may write to.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT for weed.
	Endpoint string
	// AccessKeyID and SecretAccessKey are the credentials of an identity
	// that may read, write, list and delete in Bucket.
	AccessKeyID, SecretAccessKey string
	// Bucket exists; tests write under their own Prefix in it.
	Bucket string
	// Region is the region to sign for ("" lets the client choose).
	Region string
	// DataDir is the directory where the server keeps its bytes ("" when
	// it is not known: another machine's endpoint).
	DataDir string
	// Started tells whether this package started the server (rather than
	// the environment naming it).
	Started bool
}

// Get returns the endpoint of the S3 suites (see the package doc), or
// skips t (fails it when ENSPACE_REQUIRE_S3=1) when there is none. A weed
// it starts serves t alone and stops when t ends.
func Get(t testing.TB) *Server {
	t.Helper()
	if s, ok := fromEnv(); ok {
		return s
	}
	bin := os.Getenv(EnvWeed)
	if bin == "" {
		bin = DefaultWeed
	}
	if _, err := os.Stat(bin); err != nil {
		unavailable(t, fmt.Sprintf("no S3 endpoint: %s is unset and there is no weed binary at %s (bash .ci/s3server.sh builds it; see docs/testing.md)", EnvEndpoint, bin))
		return nil
	}
	w, err := startWeed(bin)
	if err != nil {
		t.Fatalf("start weed: %v", err)
	}
	t.Cleanup(w.stop)
	return &w.Server
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s, and %s=1", why, EnvRequire)
	}
	t.Skipf("%s (set %s=1 to fail instead)", why, EnvRequire)
}

// fromEnv reads the endpoint the variables name.
func fromEnv() (*Server, bool) {
	ep := os.Getenv(EnvEndpoint)
	if ep == "" {
		return nil, false
	}
	return &Server{
		Endpoint:        strings.TrimRight(ep, "/"),
		AccessKeyID:     os.Getenv(EnvAccessKey),
		SecretAccessKey: os.Getenv(EnvSecretKey),
		Bucket:          os.Getenv(EnvBucket),
		Region:          os.Getenv(EnvRegion),
		DataDir:         os.Getenv(EnvDir),
	}, true
}

// Prefix returns a prefix of the bucket that no other test uses:
// "enspace-test/" followed by the test's name and a random suffix.
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, t.Name())
	return "enspace-test/" + name + "-" + hex.EncodeToString(b)
}

// URL returns the offsite target URL of prefix on s:
// s3://BUCKET/PREFIX?endpoint=ENDPOINT&path_style=true[&region=REGION].
func (s *Server) URL(prefix string) string {
	q := url.Values{}
	q.Set("endpoint", s.Endpoint)
	q.Set("path_style", "true")
	if s.Region != "" {
		q.Set("region", s.Region)
	}
	return "s3://" + s.Bucket + "/" + strings.Trim(prefix, "/") + "?" + q.Encode()
}

// CredentialFiles writes the access key id and the secret into dir, each
// in a file of mode 0600, and returns their paths: what the config's
// access_key_id_file and secret_access_key_file name.
func (s *Server) CredentialFiles(t testing.TB, dir string) (idFile, secretFile string) {
	t.Helper()
	idFile = filepath.Join(dir, "s3.id")
	secretFile = filepath.Join(dir, "s3.secret")
	if err := os.WriteFile(idFile, []byte(s.AccessKeyID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretFile, []byte(s.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return idFile, secretFile
}
