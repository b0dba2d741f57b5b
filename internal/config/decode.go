package config

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML implements yaml.Unmarshaler: keys the file leaves out keep
// DefaultEnvironment's values.
func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	type plain Environment
	v := plain(*DefaultEnvironment())
	if err := n.Decode(&v); err != nil {
		return err
	}
	*e = Environment(v)
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler: keys the file leaves out keep
// DefaultWorkspace's values.
func (w *Workspace) UnmarshalYAML(n *yaml.Node) error {
	type plain Workspace
	v := plain(*DefaultWorkspace())
	if err := n.Decode(&v); err != nil {
		return err
	}
	*w = Workspace(v)
	return nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax records a yaml.v3 syntax error with its line, and a hint when the
// line is indented with a tab.
func (p *parser) syntax(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if l := tabLine(data, line); l > 0 {
		if line == 0 {
			line = l
		}
		msg += fmt.Sprintf(" (line %d is indented with a tab: YAML indents with spaces)", l)
	}
	p.ps.add(line, "", ErrSyntax, "%s", msg)
}

// tabLine returns line near (at, or the line before or after) when its
// indentation holds a tab, else 0. With near 0 it returns the first such line.
func tabLine(data []byte, near int) int {
	lines := strings.Split(string(data), "\n")
	indented := func(n int) bool {
		if n < 1 || n > len(lines) {
			return false
		}
		l := lines[n-1]
		return strings.Contains(l[:len(l)-len(strings.TrimLeft(l, " \t"))], "\t")
	}
	if near == 0 {
		for n := 1; n <= len(lines); n++ {
			if indented(n) {
				return n
			}
		}
		return 0
	}
	for _, n := range []int{near, near + 1, near - 1} {
		if indented(n) {
			return n
		}
	}
	return 0
}

var typeErrorLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// decode decodes the checked tree over c. The schema walk has already
// refused what yaml.v3 would, so an error here is unexpected, but it is
// reported with its line all the same.
func (p *parser) decode(root *yaml.Node, c *Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.ps.add(0, "", ErrInvalid, "cannot decode (%v)", r)
			err = p.ps.err()
		}
	}()
	if err := root.Decode(c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			p.ps.add(0, "", ErrInvalid, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
			return p.ps.err()
		}
		for _, e := range te.Errors {
			line := 0
			if m := typeErrorLine.FindStringSubmatch(e); m != nil {
				line, _ = strconv.Atoi(m[1])
				e = m[2]
			}
			p.ps.add(line, "", ErrInvalid, "%s", e)
		}
		return p.ps.err()
	}
	return nil
}

// keySources records which API keys came from ${VAR}, and warns about
// secrets written in the file.
func (p *parser) keySources(c *Config) {
	c.source().fromEnv = p.paths
	for _, name := range sortedKeys(c.Environments) {
		e := c.Environments[name]
		if e == nil {
			continue
		}
		path := childPath(childPath("environments", name), "api_key")
		_, e.keyFromEnv = p.paths[path]
		e.keyFileNamed = p.named[path+"_file"]
		if e.APIKey != "" && !e.keyFromEnv {
			c.warn(path, "the API key is written in the config file; move it to api_key_file, a systemd credential or ${VAR}")
		}
		for _, slug := range e.IntegrationSlugs() {
			for _, sn := range sortedKeys(e.Secrets[slug]) {
				sp := secretPath(name, slug, sn)
				if _, env := p.paths[sp]; !env && !isFileName(sn) && e.Secrets[slug][sn] != "" {
					c.warn(sp, "the secret is written in the config file; use "+sn+"_file or ${VAR}")
				}
			}
		}
	}
}

// warn adds a warning once.
func (c *Config) warn(path, msg string) {
	src := c.source()
	p := Problem{File: src.file, Line: lineOf(src.lines, path), Path: path, Msg: scrubText(msg, c.secrets())}
	s := p.String()
	for _, w := range c.Warnings {
		if w == s {
			return
		}
	}
	c.Warnings = append(c.Warnings, s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
