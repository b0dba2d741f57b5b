package offsite

import "testing"

// TestCanonical: every spelling of one target has one canonical form, and
// different targets have different ones.
func TestCanonical(t *testing.T) {
	same := [][]string{
		{"file:///mnt/nas", "file:///mnt/nas/", "file:///mnt//nas/./", "file://localhost/mnt/nas", "file:///mnt/x/../nas"},
		{"s3://bkt/acme", "s3://bkt/acme/", "s3://bkt//acme", "s3://bkt/acme?endpoint=https://s3.amazonaws.com",
			"s3://bkt/acme?endpoint=https://S3.amazonaws.com:443/", "s3://bkt/acme?path_style=false&region=us-east-1",
			"s3://bkt/acme?region=eu-west-1&path_style=true", "s3://bkt/ac%6De"},
		{"s3://bkt/acme?endpoint=http://minio:9000&path_style=true", "s3://bkt/acme/?path_style=1&endpoint=http://MINIO:9000",
			"s3://bkt/acme?endpoint=http://minio:9000/&region=x"},
		{"s3://bkt/acme?endpoint=http://minio", "s3://bkt/acme?endpoint=http://minio:80"},
		{"s3://bkt?endpoint=https://[::1]:443", "s3://bkt?endpoint=https://[::1]"},
		{"s3://bkt/acme?region=cn-north-1", "s3://bkt/acme/?path_style=true&region=cn-north-1"},
		{"s3://bkt/acme%3Fendpoint=http:%2F%2Fminio:9000", "s3://bkt/acme%3fendpoint=http:%2f%2fminio:9000/"},
	}
	seen := map[string]string{}
	for _, group := range same {
		var want string
		for i, raw := range group {
			l, err := ParseURL(raw)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", raw, err)
			}
			got := l.Canonical()
			if i == 0 {
				want = got
				if other, ok := seen[got]; ok {
					t.Errorf("%q and %q, different targets, are both %q", raw, other, got)
				}
				seen[got] = raw
				if l2, err := ParseURL(got); err != nil || l2.Canonical() != got {
					t.Errorf("the canonical form %q of %q is not its own (%v)", got, raw, err)
				}
				continue
			}
			if got != want {
				t.Errorf("%q is %q, %q is %q: want one form", group[0], want, raw, got)
			}
		}
	}
	for raw, want := range map[string]string{
		"file:///mnt/nas/":                        "file:///mnt/nas",
		"s3://bkt/acme/?region=x":                 "s3://bkt/acme",
		"s3://bkt/a?endpoint=http://minio:9000/":  "s3://bkt/a?endpoint=http://minio:9000",
		"s3://bkt/a?endpoint=https://minio:9000/": "s3://bkt/a?endpoint=https://minio:9000",
	} {
		l, _ := ParseURL(raw)
		if got := l.Canonical(); got != want {
			t.Errorf("%q: canonical %q, want %q", raw, got, want)
		}
	}
	// Different data: other bucket, prefix, host, port or scheme.
	distinct := []string{"s3://bkt/acme", "s3://bkt/acme2", "s3://bkt2/acme", "s3://bkt/acme?endpoint=http://minio:9001",
		"s3://bkt/acme?endpoint=https://minio:9000", "s3://bkt/acme?endpoint=http://minio:9000", "file:///mnt/nas2", "file:///bkt/acme",
		// Another AWS partition's bucket of the same name (the client
		// sends to s3.cn-north-1.amazonaws.com.cn, s3.us-gov-west-1...).
		"s3://bkt/acme?region=cn-north-1", "s3://bkt/acme?region=us-gov-west-1",
		// A "?" in the prefix (a legal S3 key) is not the start of options.
		"s3://bkt/acme%3Fendpoint=http:%2F%2Fminio:9000"}
	for i, a := range distinct {
		for _, b := range distinct[i+1:] {
			la, _ := ParseURL(a)
			lb, _ := ParseURL(b)
			if la.Canonical() == lb.Canonical() {
				t.Errorf("%q and %q share the canonical form %q", a, b, la.Canonical())
			}
		}
	}
}
