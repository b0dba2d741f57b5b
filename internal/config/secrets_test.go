package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCredentialsDirectory(t *testing.T) {
	path := writeTree(t, baseConfig, map[string]keyFile{
		"prod.key": {content: "en.WRONGwrongWRONGwrongWRONGwrong12", mode: 0o600},
	})
	creds := t.TempDir()
	for name, content := range map[string]string{"prod.key": "\n  " + plantedFileKey + "\r\n", "cert.token": plantedToken + "\n"} {
		if err := os.WriteFile(filepath.Join(creds, name), []byte(content), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	vars := baseEnv()
	vars["CREDENTIALS_DIRECTORY"] = creds
	c, err := Load(path, Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := c.Environments["production"].Key().Reveal(), plantedFileKey; got != want {
		t.Errorf("key = %q, want %q from $CREDENTIALS_DIRECTORY, trimmed", got, want)
	}
	if got, want := c.Environments["production"].IntegrationSecrets("certisign")["token"].Reveal(), plantedToken; got != want {
		t.Errorf("token = %q, want %q", got, want)
	}

	// An absolute path ignores $CREDENTIALS_DIRECTORY.
	abs := filepath.Join(filepath.Dir(path), "prod.key")
	doc := replace(t, baseConfig, "api_key_file: prod.key", "api_key_file: "+abs)
	path2 := writeTree(t, doc, nil)
	c, err = Load(path2, Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Environments["production"].Key().Reveal(); got != "en.WRONGwrongWRONGwrongWRONGwrong12" {
		t.Errorf("key = %q, want the absolute file's", got)
	}
}

func TestResolveSecretsSeparately(t *testing.T) {
	path := writeTree(t, baseConfig, baseFiles())
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f, path, Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	prod := c.Environments["production"]
	if prod.Key() != "" {
		t.Errorf("Parse read the key file")
	}
	if got := prod.IntegrationSecrets("certisign"); len(got) != 0 {
		t.Errorf("IntegrationSecrets before ResolveSecrets = %v, want none (only a file)", got)
	}
	if err := c.ResolveSecrets(); err != nil {
		t.Fatalf("ResolveSecrets: %v", err)
	}
	if got, want := prod.Key().Reveal(), plantedFileKey; got != want {
		t.Errorf("key = %q, want %q", got, want)
	}
	if got := prod.IntegrationSecrets("nope"); len(got) != 0 {
		t.Errorf("IntegrationSecrets(nope) = %v, want empty", got)
	}
}

func TestResolveSecretsCollectsEveryProblem(t *testing.T) {
	doc := replace(t, baseConfig, "    api_key: ${STAGE_KEY}\n", "    api_key_file: stage.key\n")
	path := writeTree(t, doc, map[string]keyFile{
		"prod.key":   {content: plantedFileKey, mode: 0o604},
		"cert.token": {content: "", mode: 0o600},
	})
	_, err := Load(path, Options{LookupEnv: env(nil)})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v, want *Error", err)
	}
	dir := filepath.Dir(path)
	want := []string{
		fmt.Sprintf("%s:10: environments.production.api_key_file: %s/prod.key can be read by its group or others (mode 0604): run chmod 600 %s/prod.key", path, dir, dir),
		fmt.Sprintf("%s:18: environments.production.secrets.certisign.token_file: %s/cert.token is empty", path, dir),
		fmt.Sprintf("%s:21: environments.stage.api_key_file: cannot read %s/stage.key: no such file or directory", path, dir),
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if !errors.Is(err, ErrInsecureKeyFile) || !errors.Is(err, ErrKeyFile) {
		t.Errorf("err does not unwrap to both ErrInsecureKeyFile and ErrKeyFile")
	}
}

func TestKeyFileWarnings(t *testing.T) {
	path := writeTree(t, baseConfig, map[string]keyFile{
		"prod.key":   {content: "not-an-enspace-key-but-long", mode: 0o600},
		"cert.token": {content: plantedToken, mode: 0o600},
	})
	c, err := Load(path, Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := path + ":10: environments.production.api_key_file: the key does not look like an Enspace API key (en. followed by 34 letters and digits); using it anyway"
	if len(c.Warnings) != 1 || c.Warnings[0] != want {
		t.Errorf("warnings = %q, want [%q]", c.Warnings, want)
	}
}

func TestKeyFileTooLarge(t *testing.T) {
	path := writeTree(t, baseConfig, map[string]keyFile{
		"prod.key":   {content: strings.Repeat("k", MaxKeyFileSize+1), mode: 0o600},
		"cert.token": {content: plantedToken, mode: 0o600},
	})
	_, err := Load(path, Options{LookupEnv: env(baseEnv())})
	if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "prod.key is larger than 65536 bytes") {
		t.Errorf("Load = %v, want a too-large key file", err)
	}
}

func TestKeyFileSymlink(t *testing.T) {
	path := writeTree(t, baseConfig, map[string]keyFile{"cert.token": {content: plantedToken, mode: 0o600}})
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "real.key"), []byte(plantedFileKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.key", filepath.Join(dir, "prod.key")); err != nil {
		t.Skip("no symlinks:", err)
	}
	c, err := Load(path, Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Environments["production"].Key().Reveal(); got != plantedFileKey {
		t.Errorf("key = %q, want the symlink target's", got)
	}
}

// TestSecretsNeverPrinted plants keys and checks every way a Config can be
// printed.
func TestSecretsNeverPrinted(t *testing.T) {
	doc := replace(t, baseConfig, "{token_file: cert.token}", "{token_file: cert.token}\n      sendgrid: {api_key: \"${SG}\"}")
	vars := baseEnv()
	vars["SG"] = plantedToken + "-sg"
	c, err := Load(writeTree(t, doc, baseFiles()), Options{LookupEnv: env(vars)})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	prod := c.Environments["production"]
	// Every verb on this package's types; api.Secret itself only hides
	// under the verbs that fit a string.
	values := []any{c, *c, prod, *prod, c.Environments, c.Workspaces, prod.Secrets, c.Workspaces[0], *c.Workspaces[0]}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"}
	for _, v := range []any{prod.Key(), prod.IntegrationSecrets("certisign")} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			assertNoSecret(t, "fmt "+verb, fmt.Sprintf(verb, v))
		}
	}
	for _, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			if verb == "%x" {
				out += string(hexDecode(out))
			}
			assertNoSecret(t, "fmt "+verb, out)
			if strings.Contains(out, vars["SG"]) {
				t.Errorf("fmt %s holds the sendgrid key: %s", verb, out)
			}
		}
	}
}

// hexDecode decodes what it can of a %x rendering, so a secret printed in
// hex is found too.
func hexDecode(s string) []byte {
	out, _ := hex.DecodeString(strings.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789abcdef", r) {
			return r
		}
		return -1
	}, s))
	return out
}

func TestFormatSummaries(t *testing.T) {
	c, err := Load(writeTree(t, baseConfig, baseFiles()), Options{LookupEnv: env(baseEnv())})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	cases := []struct {
		v    any
		want string
	}{
		{c, "{database:/tmp/enspace-sync.db log:{level:info format:text} listen:127.0.0.1:9464 timezone:UTC environments:[production stage] workspaces:[acme beta]}"},
		{c.Environments["stage"], "{base_url:https://api-develop.enspace.io api_key:[redacted] api_key_file: concurrency:8 requests_per_second:20 page_size:100 timeout:1m0s routes:map[] secrets:[]}"},
		{c.Environments["production"], "{base_url:https://api.leif.enspace.io api_key: api_key_file:prod.key concurrency:8 requests_per_second:20 page_size:100 timeout:1m0s routes:map[items.list:/ws/types/{type}/records] secrets:[certisign]}"},
		{c.Workspaces[0], "{name:acme environment:production slug:acme schedule:0 */6 * * * include:[contracts items] exclude:[request-logs] retention:{keep_last:10 keep_daily:14 keep_weekly:8 keep_monthly:12}}"},
	}
	for _, tc := range cases {
		if got := fmt.Sprintf("%v", tc.v); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}
