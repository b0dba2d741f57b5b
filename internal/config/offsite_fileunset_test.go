package config

import (
	"errors"
	"strings"
	"testing"
)

// TestFileTargetCredentialsUnset: S3 credential fields on a file:// target
// whose ${VAR} is unset are still S3 credentials given for a file://
// target: Load (as config check runs it, and with SecretsOnUse) reports
// that problem beside the unset variables, not the unset variables alone.
func TestFileTargetCredentialsUnset(t *testing.T) {
	doc := baseConfig + "offsite:\n" +
		"  - name: nas\n" +
		"    url: file:///srv/nas\n" +
		"    password_file: nas.pw\n" +
		"    access_key_id_file: ${KEY_ID_FILE}\n" +
		"    secret_access_key_file: ${SECRET_FILE}\n"
	files := baseFiles()
	files["nas.pw"] = keyFile{content: "nas-Secret-Password", mode: 0o600}
	path := writeTree(t, doc, files)
	for _, onUse := range []bool{false, true} {
		_, err := Load(path, Options{LookupEnv: env(baseEnv()), SecretsOnUse: onUse})
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("SecretsOnUse=%v: Load = %v, want an *Error", onUse, err)
		}
		for _, want := range []string{
			"config.yaml:36: offsite[0].access_key_id_file: S3 credentials given for a file:// target",
			"config.yaml:36: offsite[0].access_key_id_file: ${KEY_ID_FILE} is not set",
			"config.yaml:37: offsite[0].secret_access_key_file: ${SECRET_FILE} is not set",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("SecretsOnUse=%v: Load error lacks %q:\n%v", onUse, want, err)
			}
		}
		if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrUnsetVariable) {
			t.Errorf("SecretsOnUse=%v: %v is not both ErrInvalid and ErrUnsetVariable", onUse, err)
		}
	}
	// Only the session token, unset: the problem names that field.
	doc = baseConfig + "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: nas.pw, session_token_file: '${TOKEN_FILE}'}\n"
	_, err := Load(writeTree(t, doc, files), Options{LookupEnv: env(baseEnv())})
	if err == nil || !strings.Contains(err.Error(), "offsite[0].session_token_file: S3 credentials given for a file:// target") {
		t.Errorf("Load = %v, want the token named as S3 credentials on a file:// target", err)
	}
}
