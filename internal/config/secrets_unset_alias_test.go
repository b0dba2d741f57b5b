package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestFileVariableSetEmpty: a file field whose ${VAR} is set but empty is
// its item's problem, as an unset one is, named by the variable: not
// "required", and not a file read from the config's directory.
func TestFileVariableSetEmpty(t *testing.T) {
	doc := baseConfig + "offsite:\n  - {name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW_FILE}'}\n"
	path := writeTree(t, doc, baseFiles())
	vars := baseEnv()
	vars["NAS_PW_FILE"] = ""
	want := "offsite[0].password_file: ${NAS_PW_FILE} expanded to nothing (set ${NAS_PW_FILE} to a value)"
	c, err := Load(path, Options{LookupEnv: env(vars), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
	}
	nas, _ := c.OffsiteTarget("nas")
	if err := nas.SecretsErr(); err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrUnsetVariable) {
		t.Errorf("nas: SecretsErr = %v, want %q (ErrUnsetVariable)", err, want)
	}
	_, err = Load(path, Options{LookupEnv: env(vars)})
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "required") {
		t.Errorf("Load = %v, want only %q", err, want)
	}
}

// TestFileVariableThroughAlias: a target that reaches another's password
// file through a merge key (<<: *anchor) carries its reference as written
// (config check never shows the variable's value) and its unset variable.
func TestFileVariableThroughAlias(t *testing.T) {
	const secret = "nas-Password-Value-31"
	doc := baseConfig + "offsite:\n" +
		"  - &nas {name: nas, url: 'file:///srv/nas', password_file: '${NAS_PW}'}\n" +
		"  - <<: *nas\n    name: usb\n"
	path := writeTree(t, doc, baseFiles())
	vars := baseEnv()
	vars["NAS_PW"] = secret
	c, err := Load(path, Options{LookupEnv: env(vars), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse: %v", err)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(out), "password_file: ${NAS_PW}"); n != 2 || strings.Contains(string(out), secret) {
		t.Errorf("Redacted shows the reference %d times (want 2) or the value:\n%s", n, out)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, secret) {
			t.Errorf("warning holds the value: %s", w)
		}
	}

	delete(vars, "NAS_PW")
	c, err = Load(path, Options{LookupEnv: env(vars), SecretsOnUse: true})
	if err != nil {
		t.Fatalf("Load with SecretsOnUse, NAS_PW unset: %v", err)
	}
	for i, name := range []string{"nas", "usb"} {
		o, _ := c.OffsiteTarget(name)
		want := indexPath("offsite", i) + ".password_file: ${NAS_PW} is not set"
		if err := o.SecretsErr(); err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrUnsetVariable) {
			t.Errorf("%s: SecretsErr = %v, want %q", name, err, want)
		}
	}
}

// TestOffsiteFileFieldsComplete: every *_file field of a target is in
// fileFields, the list by which an unset ${VAR} in it is deferred, its
// file read and its reference, not its value, shown by config check.
func TestOffsiteFileFieldsComplete(t *testing.T) {
	typ := reflect.TypeOf(Offsite{})
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if strings.HasSuffix(key, "_file") && !isOffsiteFileKey(key) {
			t.Errorf("Offsite.%s (%s) is not in fileFields", typ.Field(i).Name, key)
		}
	}
}
