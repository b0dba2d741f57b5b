package s3test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestWeedVersionMatchesCI(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", ".ci", "s3server.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^WEED_VERSION=(\S+)$`).FindSubmatch(b)
	if m == nil || string(m[1]) != WeedVersion {
		t.Errorf(".ci/s3server.sh builds weed %q, this package looks for %q: keep them equal", m, WeedVersion)
	}
	if !strings.Contains(string(b), "WEED_CACHE:-/var/cache/enspace-sync}") || !strings.HasSuffix(DefaultWeed, "/var/cache/enspace-sync/weed-"+WeedVersion) {
		t.Errorf("the cache directories of .ci/s3server.sh and DefaultWeed (%s) differ", DefaultWeed)
	}
}

func TestGetReadsTheEnvironment(t *testing.T) {
	t.Setenv(EnvEndpoint, "http://127.0.0.1:9000/")
	t.Setenv(EnvAccessKey, "id")
	t.Setenv(EnvSecretKey, "secret")
	t.Setenv(EnvBucket, "b")
	t.Setenv(EnvRegion, "eu-west-1")
	t.Setenv(EnvDir, "")
	s := Get(t)
	want := Server{Endpoint: "http://127.0.0.1:9000", AccessKeyID: "id", SecretAccessKey: "secret", Bucket: "b", Region: "eu-west-1"}
	if *s != want {
		t.Errorf("Get = %+v, want %+v", *s, want)
	}
	u, err := url.Parse(s.URL("enspace-test/x/"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "s3" || u.Host != "b" || u.Path != "/enspace-test/x" || q.Get("endpoint") != "http://127.0.0.1:9000" ||
		q.Get("path_style") != "true" || q.Get("region") != "eu-west-1" {
		t.Errorf("URL = %s, want s3://b/enspace-test/x with the endpoint, path style and region", u)
	}
	dir := t.TempDir()
	id, secret := s.CredentialFiles(t, dir)
	for path, want := range map[string]string{id: "id\n", secret: "secret\n"} {
		b, err := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if err != nil || string(b) != want || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %q, %v, mode %v; want %q, mode 0600", path, b, err, fi.Mode().Perm(), want)
		}
	}
}

func TestPrefixIsUnique(t *testing.T) {
	a, b := Prefix(t), Prefix(t)
	if a == b || !strings.HasPrefix(a, "enspace-test/TestPrefixIsUnique-") || strings.ContainsAny(a[len("enspace-test/"):], "/ ") {
		t.Errorf("Prefix = %q and %q, want two different enspace-test/TestPrefixIsUnique-RANDOM", a, b)
	}
}

// recorder is a testing.TB that records a skip or a failure instead of
// ending the real test.
type recorder struct {
	testing.TB
	mu              sync.Mutex
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = format
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = format
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) get() (skipped, failed string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Get(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped, r.failed
}

func TestGetWithoutServerSkipsUnlessRequired(t *testing.T) {
	t.Setenv(EnvEndpoint, "")
	t.Setenv(EnvWeed, filepath.Join(t.TempDir(), "no-weed"))
	t.Setenv(EnvRequire, "")
	if skipped, failed := (&recorder{TB: t}).get(); skipped == "" || failed != "" {
		t.Errorf("without a server: skipped %q, failed %q; want a skip", skipped, failed)
	}
	t.Setenv(EnvRequire, "1")
	if skipped, failed := (&recorder{TB: t}).get(); skipped != "" || failed == "" {
		t.Errorf("without a server and %s=1: skipped %q, failed %q; want a failure", EnvRequire, skipped, failed)
	}
}

// TestServerAnswersS3 checks the endpoint the suites get: an anonymous
// request is refused with S3's XML error (credentials are enforced, so a
// test that forgets to sign cannot pass by accident).
func TestServerAnswersS3(t *testing.T) {
	s := Get(t)
	resp, err := http.Get(s.Endpoint + "/" + s.Bucket + "/?list-type=2")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Errorf("anonymous listing: %d %s, want 403 AccessDenied", resp.StatusCode, body)
	}
	if s.Started && s.DataDir == "" {
		t.Error("a server this package started has no data directory")
	}
}
