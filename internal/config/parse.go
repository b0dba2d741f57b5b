package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Options change how a configuration is read. The zero value expands
// ${VAR} from the process environment.
type Options struct {
	// NoExpand leaves ${VAR} as written.
	NoExpand bool
	// LookupEnv reads the environment: ${VAR}, $STATE_DIRECTORY and
	// $CREDENTIALS_DIRECTORY. nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// NoSecrets is for commands that use no secret (they read the
	// database only): a ${VAR} left unset in an API key, an api_key_file,
	// an integration secret, an offsite target's password or credential
	// file or a notification URL is no error (the value is left empty),
	// and Load reads no key or secret file. Such a Config
	// holds no key: Environment.Key returns "" and SecretsSkipped is true.
	NoSecrets bool
	// SecretsOnUse is for commands that use part of the configuration: a
	// key or secret file that cannot be used (missing, unreadable,
	// readable by others, empty), or a ${VAR} left unset in a key, secret
	// or such file field, does not fail Load. Its problem stays
	// with the environment or offsite target it belongs to
	// (Environment.KeyErr, Environment.IntegrationSecretsErr,
	// Offsite.SecretsErr), for whatever uses that item to fail on, and is
	// added to Warnings once, saying what it stops. Every other problem
	// still fails Load. `config check` and `doctor` leave it unset: they
	// report every problem of every secret.
	SecretsOnUse bool
}

// Load reads the file at path, parses and validates it (Parse), and reads
// the key and secret files it names (ResolveSecrets). A file that cannot be
// opened gives an error wrapping the *os.PathError (errors.Is(err,
// fs.ErrNotExist) works); a file that others can read and that holds a
// secret draws a warning.
func Load(path string, opts Options) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("read config: %s is a directory", path)
	}
	// An unset ${VAR} in a key or secret field is ResolveSecrets'
	// problem here, with and without SecretsOnUse: kept with its item, or
	// listed with the files that cannot be read.
	c, err := parse(f, path, opts, true)
	if err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 && c.holdsSecret() {
		c.warn("", fmt.Sprintf("the file holds a secret and can be read by its group or others (mode %04o): run chmod %o %s", perm, KeyFileMode, path))
	}
	if opts.NoSecrets {
		return c, nil
	}
	if err := c.ResolveSecrets(); err != nil {
		var e *Error
		if !opts.SecretsOnUse || !errors.As(err, &e) || c.warnSecretProblems() != len(e.Problems) {
			return nil, err // a problem that belongs to no item fails Load
		}
	}
	return c, nil
}

// warnSecretProblems adds a warning for each problem ResolveSecrets kept
// with an environment or a target, saying what it stops, and returns how
// many problems it found kept.
func (c *Config) warnSecretProblems() int {
	n := 0
	add := func(err error, stops string) {
		var e *Error
		if !errors.As(err, &e) {
			return
		}
		n += len(e.Problems)
		for _, p := range e.Problems {
			c.warn(p.Path, p.Msg+" ("+stops+"; run enspace-sync config check after fixing it)")
		}
	}
	for _, name := range sortedKeys(c.Environments) {
		e := c.Environments[name]
		if e == nil {
			continue
		}
		add(e.KeyErr(), "commands that reach environment "+quote(shorten(name))+" fail")
		add(e.IntegrationSecretsErr(), "restore and replicate into environment "+quote(shorten(name))+" fail")
	}
	for _, o := range c.Offsite {
		if o != nil {
			add(o.SecretsErr(), "offsite target "+quote(shorten(o.Name))+" cannot be used")
		}
	}
	return n
}

// holdsSecret reports whether a key or an integration secret is written in
// the file itself rather than taken from the environment.
func (c *Config) holdsSecret() bool {
	src := c.source()
	for _, name := range sortedKeys(c.Environments) {
		e := c.Environments[name]
		if e == nil {
			continue
		}
		if e.APIKey != "" && !e.keyFromEnv {
			return true
		}
		for _, slug := range e.IntegrationSlugs() {
			for sn, v := range e.Secrets[slug] {
				sp := secretPath(name, slug, sn)
				if _, env := src.fromEnv[sp]; !env && !isFileName(sn) && v != "" {
					return true
				}
			}
		}
	}
	return false
}

// Parse reads one YAML document from r, expands ${VAR} references (unless
// opts.NoExpand), decodes it strictly over the defaults and validates it.
// name labels messages ("config.yaml:7: ...") and its directory is where
// relative key files start when $CREDENTIALS_DIRECTORY is not set. Parse
// reads no key file: ResolveSecrets does (see Options.NoSecrets). With
// opts.SecretsOnUse an unset ${VAR} in a key or secret field of an
// environment or an offsite target is ResolveSecrets' problem too, as an
// unreadable file is; otherwise Parse refuses it. Every error about the
// content is an *Error; an error reading r is wrapped as it is.
func Parse(r io.Reader, name string, opts Options) (*Config, error) {
	return parse(r, name, opts, opts.SecretsOnUse)
}

// parse is Parse; deferSecrets leaves an unset ${VAR} in a field that
// ResolveSecrets keeps with its item to ResolveSecrets.
func parse(r io.Reader, name string, opts Options, deferSecrets bool) (*Config, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	p := &parser{
		ps:           &problems{file: name, lines: map[string]int{}},
		lookup:       lookup,
		fromEnv:      map[*yaml.Node][]string{},
		budget:       walkBudget,
		noSecrets:    opts.NoSecrets,
		deferSecrets: deferSecrets && !opts.NoSecrets,
		unresolved:   map[string][]Problem{},
		named:        map[string]string{},
		unsetAt:      map[*yaml.Node][]Problem{},
		namedAt:      map[*yaml.Node]string{},
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		p.ps.add(0, "", ErrTooLarge, "larger than %d bytes", MaxFileSize)
		return nil, p.ps.err()
	}
	root := p.document(data)
	if root == nil {
		return nil, p.ps.err()
	}
	if !opts.NoExpand {
		p.expandTree(root, "")
	}
	p.walk(root, configType, "")
	if err := p.ps.err(); err != nil {
		return nil, p.withUnset(err)
	}
	c := defaults(lookup)
	if err := p.decode(root, c); err != nil {
		return nil, p.withUnset(err)
	}
	src := c.source()
	scrub := p.ps.secrets
	src.file, src.lines, src.scrub = name, p.ps.lines, func() []string { return scrub }
	src.noSecrets, src.unresolved, src.named = opts.NoSecrets, p.unresolved, p.named
	if name != "" {
		src.dir = filepath.Dir(name)
	}
	p.keySources(c)
	if err := c.Validate(); err != nil {
		return nil, p.withUnset(err)
	}
	return c, nil
}

// withUnset adds the unset ${VAR}s left to ResolveSecrets to err, a
// failed parse, which ResolveSecrets will not reach: the error lists every
// problem found. NoSecrets leaves them out: they are no problem there.
func (p *parser) withUnset(err error) error {
	var e *Error
	if !p.deferSecrets || len(p.unresolved) == 0 || !errors.As(err, &e) {
		return err
	}
	all := append([]Problem(nil), e.Problems...)
	for _, path := range sortedKeys(p.unresolved) {
		all = append(all, p.unresolved[path]...)
	}
	sortProblems(all)
	return &Error{Problems: all}
}

// parser carries the state of one Parse.
type parser struct {
	ps      *problems
	lookup  func(string) (string, bool)
	fromEnv map[*yaml.Node][]string // scalars that held ${VAR}, and the names
	paths   map[string][]string     // key path -> variables, for secret leaves
	budget  int                     // nodes the schema walk may still visit

	noSecrets    bool                 // Options.NoSecrets
	deferSecrets bool                 // an unset ${VAR} in an item's secret is ResolveSecrets' problem
	unresolved   map[string][]Problem // secret paths left empty, with why
	named        map[string]string    // secret paths that held ${VAR} -> the text as written

	// unsetAt and namedAt are the same by node, as expandScalar finds them
	// where a node is written; the schema walk files them under every path
	// that reaches the node, an alias or a merge key (<<: *anchor) too.
	unsetAt map[*yaml.Node][]Problem
	namedAt map[*yaml.Node]string
}

// walkBudget bounds the schema walk, which follows aliases: a document
// whose aliases expand past it is refused instead of walked for minutes.
const walkBudget = 200_000

// document parses data into the root mapping of its only document, or
// records why it cannot.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 panics on a few inputs
			p.ps.add(0, "", ErrSyntax, "not valid YAML (%v)", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.ps.add(0, "", ErrEmpty, "the file is empty: it needs at least environments and workspaces")
			return nil
		}
		p.syntax(err, data)
		return nil
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.syntax(err, data)
		return nil
	default:
		p.ps.add(second.Line, "", ErrSyntax, "a second YAML document starts here: the configuration is one document (remove the ---)")
		return nil
	}
	if len(doc.Content) == 0 {
		p.ps.add(0, "", ErrEmpty, "the file is empty: it needs at least environments and workspaces")
		return nil
	}
	root = doc.Content[0]
	if isNull(root) {
		p.ps.add(root.Line, "", ErrEmpty, "the document is empty: it needs at least environments and workspaces")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.ps.add(root.Line, "", ErrInvalid, "expected a mapping of keys at the top level, got %s", describe(root))
		return nil
	}
	return root
}
