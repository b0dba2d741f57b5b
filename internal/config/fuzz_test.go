package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse: it must never panic, and no
// error, warning or Redacted output may hold the key given as ${STAGE_KEY}.
func FuzzParse(f *testing.F) {
	f.Add(baseConfig)
	f.Add(minimalConfig)
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(string(data))
	}
	for _, s := range []string{
		"", "---\n", "~", "[1, 2]", "a: b\n---\nc: d\n", "\tlog: x\n",
		"environments: {production: {base_url: '${STAGE_KEY}', api_key: '${STAGE_KEY}'}}\nworkspaces: [{name: a, environment: production}]\n",
		"log: {level: ${STAGE_KEY}}\n",
		"workspaces:\n  - &w {name: a, environment: p}\n  - <<: *w\n    name: b\n",
		"a: &a [*a]\n",
		"x: &x {y: *x}\n",
		"environments:\n  p:\n    <<: [*a, *b]\n",
		"workspaces: [{retention: {keep_last: 99999999999999999999}}]\n",
		"environments: {p: {timeout: 1e400, concurrency: 0x10, requests_per_second: .nan}}\n",
		"? [a]\n: b\n",
		"database: !!binary aGVsbG8=\n",
		"listen: \"${UNSET:-}\"\ntimezone: ${STAGE_KEY:-UTC}\n",
		"environments: {p: {routes: {items.list: 'PATCH /x/{type}/{nope}'}, secrets: {s: {token_file: '', token: x}}}}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		vars := map[string]string{"STAGE_KEY": plantedKey, "EMPTY": ""}
		c, err := Parse(strings.NewReader(text), "fuzz.yaml", Options{LookupEnv: env(vars)})
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config with an error")
			}
			assertNoSecret(t, "error", err.Error())
			return
		}
		for _, w := range c.Warnings {
			assertNoSecret(t, "warning", w)
		}
		out, err := c.Redacted()
		if err != nil {
			t.Fatalf("Redacted: %v", err)
		}
		assertNoSecret(t, "Redacted", string(out))
		assertNoSecret(t, "fmt", fmt.Sprintf("%v %+v %s", c, c.Environments, c.Workspaces))
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate after a successful Parse: %v", err)
		}
		for _, w := range c.Workspaces {
			got, err := c.Workspace(w.Name)
			if err != nil || got == nil {
				t.Fatalf("Workspace(%q) = %v, %v", w.Name, got, err)
			}
			if w.Env() == nil {
				t.Fatalf("workspace %q has no environment after Parse", w.Name)
			}
			_ = w.Includes("items", "contracts")
			_ = w.Env().Routes()
		}
		if _, err := c.Location(); err != nil {
			t.Fatalf("Location after a successful Parse: %v", err)
		}
	})
}
