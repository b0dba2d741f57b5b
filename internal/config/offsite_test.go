package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const offsiteBase = `environments:
  production: {base_url: "https://api.example.com", api_key_file: key}
workspaces:
  - {name: acme, environment: production}
`

// TestOffsiteMinimalForm loads the minimal offsite form as written,
// with the files it names in $CREDENTIALS_DIRECTORY.
func TestOffsiteMinimalForm(t *testing.T) {
	creds := t.TempDir()
	for name, value := range map[string]string{"key": "en.abcdefghijklmnopqrstuvwxyz01234567", "offsite.password": "pw-Secret-1", "s3.id": "AKIDEXAMPLE", "s3.secret": "s3-Secret-2"} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	text := offsiteBase + `offsite:
  - name: nas
    url: file:///mnt/nas/enspace
    password_file: offsite.password
  - name: s3
    url: s3://enspace-backups/acme?endpoint=https://minio.internal:9000&path_style=true
    access_key_id_file: s3.id
    secret_access_key_file: s3.secret
    password_file: offsite.password
`
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{LookupEnv: env(map[string]string{"CREDENTIALS_DIRECTORY": creds})})
	if err != nil {
		t.Fatal(err)
	}
	nas, err := c.OffsiteTarget("nas")
	if err != nil {
		t.Fatal(err)
	}
	if got := nas.Password().Reveal(); got != "pw-Secret-1" {
		t.Errorf("password = %q", got)
	}
	if !nas.AfterBackup() || nas.Location().Path != "/mnt/nas/enspace" {
		t.Errorf("nas = %+v, %+v", nas, nas.Location())
	}
	s3, _ := c.OffsiteTarget("s3")
	l := s3.Location()
	if l.Bucket != "enspace-backups" || l.Prefix != "acme" || l.Endpoint != "minio.internal:9000" || !l.Secure || !l.PathStyle {
		t.Errorf("s3 location = %+v", l)
	}
	if cr := s3.Credentials(); cr.AccessKeyID != "AKIDEXAMPLE" || cr.SecretAccessKey != "s3-Secret-2" {
		t.Errorf("credentials not read")
	}
	if c.DaemonName() == "" {
		t.Error("no daemon name")
	}
	if _, err := c.OffsiteTarget("none"); err == nil {
		t.Error("unknown target found")
	}
}

func TestOffsiteInvalid(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"offsite:\n  - {name: a, url: 's3:///x', password_file: p}\n", "offsite[0].url: url: s3:// needs a bucket"},
		{"offsite:\n  - {name: a, url: 's3://b/p?color=red', password_file: p}\n", `unknown option "color"`},
		{"offsite:\n  - {name: a, url: 'file://host/x', password_file: p}\n", "file:// takes an absolute path"},
		{"offsite:\n  - {name: a, url: 'ftp://x/y', password_file: p}\n", `scheme "ftp"`},
		{"offsite:\n  - {name: a, url: 'file:///x'}\n", "offsite[0].password_file: required"},
		{"offsite:\n  - {name: a, url: 'file:///x', password_file: p}\n  - {name: a, url: 'file:///y', password_file: p}\n", `"a" names two targets`},
		{"offsite:\n  - {name: a, url: 'file:///x', password_file: p, schedule: sometimes}\n", "offsite[0].schedule"},
		{"offsite:\n  - {name: a, url: 's3://b/p', password_file: p, access_key_id_file: id}\n", "go together"},
		{"offsite:\n  - {name: a, url: 's3://u:pw@b/p', password_file: p}\n", "credentials do not belong in the URL"},
		{"offsite:\n  - {name: a, url: 's3://u:pw%zz@b/p', password_file: p}\n", "offsite[0].url: url: invalid URL escape"},
		{"offsite:\n  - {name: a, url: 's3://u:pw@b:x/p', password_file: p}\n", "offsite[0].url: url: invalid port"},
		{"offsite:\n  - {name: a, url: 's3://b/p?endpoint=https://u:pw@h:9000', password_file: p}\n", `endpoint "https://u:xxxxx@h:9000": want`},
		{"offsite:\n  - {name: a, url: 's3://b/p?endpoint=https://u:pw%25zz@h', password_file: p}\n", "endpoint: want"},
		{"name: 'bad name'\n", "not a valid daemon name"},
	} {
		_, err := Parse(strings.NewReader(offsiteBase+tc.yaml), "config.yaml", Options{NoSecrets: true})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), ":pw") {
			t.Errorf("error echoes the URL's password: %v", err)
		}
	}
}
