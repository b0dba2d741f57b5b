package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// ResolveSecrets reads every api_key_file and every *_file integration
// secret. A relative path starts from $CREDENTIALS_DIRECTORY when it is set
// (systemd LoadCredential=), else from the config file's directory. A file
// its group or others can read is refused, with the chmod that fixes it;
// content is trimmed of surrounding whitespace and must not be empty. Every
// problem is collected into one *Error; no message holds a secret.
//
// Each problem is also kept with what it belongs to, for the commands
// that use only part of the configuration: an environment's key
// (Environment.KeyErr), its integration secrets
// (Environment.IntegrationSecretsErr), an offsite target's files
// (Offsite.SecretsErr). See Options.SecretsOnUse.
func (c *Config) ResolveSecrets() error {
	c.complete()
	src := c.source()
	if src.noSecrets {
		return errors.New("resolve secrets: the config was read without them (Options.NoSecrets)")
	}
	v := &problems{file: src.file, lines: src.lines}
	for _, name := range sortedKeys(c.Environments) {
		e := c.Environments[name]
		if e == nil {
			continue
		}
		path := childPath("environments", name)
		read := &readSecrets{integrations: map[string]map[string]api.Secret{}}
		e.read = func() *readSecrets { return read }
		first := len(v.list)
		c.unset(v, path+".api_key")
		c.unset(v, path+".api_key_file")
		if e.APIKeyFile != "" {
			kp := path + ".api_key_file"
			if key, ok := c.readSecret(v, kp, e.APIKeyFile); ok {
				read.key = key
				v.secrets = append(v.secrets, key.Reveal())
				checkKey(c, v, kp, key.Reveal())
			}
		}
		v.claim(first, func(err error) { read.keyErr = err })
		first = len(v.list)
		for _, slug := range sortedKeys(e.Secrets) {
			out := map[string]api.Secret{}
			for _, sn := range sortedKeys(e.Secrets[slug]) {
				value := e.Secrets[slug][sn]
				sp := secretPath(name, slug, sn)
				if c.unset(v, sp) {
					continue
				}
				if !isFileName(sn) {
					out[sn] = value
					continue
				}
				if s, ok := c.readSecret(v, sp, value.Reveal()); ok {
					out[strings.TrimSuffix(sn, "_file")] = s
					v.secrets = append(v.secrets, s.Reveal())
				}
			}
			read.integrations[slug] = out
		}
		v.claim(first, func(err error) { read.secretsErr = err })
	}
	c.resolveOffsite(v)
	v.secrets = append(v.secrets, c.secrets()...)
	for i := range v.list {
		v.list[i].Msg = v.scrub(v.list[i].Msg)
	}
	v.settle()
	return v.err()
}

// keyPath returns where a key file named in the configuration is.
func (c *Config) keyPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(c.keyDir(), name)
}

// keyDir returns where relative key files start: $CREDENTIALS_DIRECTORY
// when set, else the config file's directory.
func (c *Config) keyDir() string {
	src := c.source()
	if dir, ok := src.lookup("CREDENTIALS_DIRECTORY"); ok && dir != "" {
		return dir
	}
	return src.dir
}

// unset records the problems of a ${VAR} left unset at path (see
// expandScalar) and reports whether there were any.
func (c *Config) unset(v *problems, path string) bool {
	ps := c.source().unresolved[path]
	v.list = append(v.list, ps...)
	return len(ps) > 0
}

// readSecret reads a key or secret file, recording a problem at path when
// it cannot be used. A file named by ${VAR} is called so in the problem,
// never by its name: the variable may hold the secret itself.
func (c *Config) readSecret(v *problems, path, name string) (api.Secret, bool) {
	file := c.keyPath(name)
	s, err := readKeyFile(file, c.fileLabel(path, name, file))
	if err != nil {
		sentinel := ErrKeyFile
		if isInsecure(err) {
			sentinel = ErrInsecureKeyFile
		}
		msg := err.Error()
		if raw := c.source().named[path]; errors.Is(err, fs.ErrNotExist) && strings.HasPrefix(raw, "${") &&
			strings.Index(raw, "}") == len(raw)-1 && validVarName(raw[2:len(raw)-1]) {
			msg += " (" + raw + " must hold the file's path, not the secret itself; a running daemon sees a changed variable only after a restart)"
		}
		if c.isCredential(file) {
			msg += " (a systemd credential: systemd copies it when the service starts, so fix its LoadCredential= source and restart the service; a reload does not copy it again)"
		}
		v.at(path, sentinel, "%s", msg)
		return "", false
	}
	return s, true
}

// isCredential reports whether file is in $CREDENTIALS_DIRECTORY, which
// systemd fills from LoadCredential= when the service starts, and only
// then.
func (c *Config) isCredential(file string) bool {
	dir, ok := c.source().lookup("CREDENTIALS_DIRECTORY")
	if !ok || dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

type insecureError struct{ msg string }

func (e *insecureError) Error() string { return e.msg }

func isInsecure(err error) bool {
	_, ok := err.(*insecureError)
	return ok
}

// ReadKeyFile returns the trimmed content of a regular file that only its
// owner can read. It checks the file before opening it (a FIFO would block
// the open) and again through the open descriptor (the path may have been
// swapped in between).
func ReadKeyFile(file string) (api.Secret, error) {
	return readKeyFile(file, fileLabel{name: file, shell: file})
}

// fileLabel is how messages call a key file: name in the text, shell in
// the command that fixes it.
type fileLabel struct{ name, shell string }

// fileLabel returns how messages call the file named at path: by its name,
// or, when the name came from ${VAR}, as "the file named by ${VAR}" (the
// text as written), whose chmod hint lets the shell expand the variable.
func (c *Config) fileLabel(path, name, file string) fileLabel {
	raw, ok := c.source().named[path]
	if !ok {
		return fileLabel{name: file, shell: file}
	}
	shell := shellRequired(raw)
	if !filepath.IsAbs(name) {
		shell = strings.TrimSuffix(c.keyDir(), "/") + "/" + shell
	}
	return fileLabel{name: "the file named by " + raw, shell: `"` + shell + `"`}
}

// shellRequired rewrites each ${NAME} of raw as ${NAME:?}, for a command
// run by hand: a shell that lacks the variable (the daemon had it from its
// unit) stops there rather than acting on the directory the path starts
// from. ${NAME:-default} is kept: the shell applies the default too.
func shellRequired(raw string) string {
	var b strings.Builder
	for {
		i := strings.Index(raw, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(raw[i:], '}')
		if end < 0 {
			break
		}
		b.WriteString(raw[:i+end])
		if validVarName(raw[i+2 : i+end]) {
			b.WriteString(":?")
		}
		b.WriteByte('}')
		raw = raw[i+end+1:]
	}
	b.WriteString(raw)
	return b.String()
}

func readKeyFile(file string, label fileLabel) (api.Secret, error) {
	if err := checkKeyFile(file, label, os.Stat); err != nil {
		return "", err
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", label.name, unwrapPath(err))
	}
	defer f.Close()
	if err := checkKeyFile(file, label, func(string) (os.FileInfo, error) { return f.Stat() }); err != nil {
		return "", err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxKeyFileSize+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", label.name, unwrapPath(err))
	}
	if len(data) > MaxKeyFileSize {
		return "", fmt.Errorf("%s is larger than %d bytes: not a key file", label.name, MaxKeyFileSize)
	}
	key := strings.TrimSpace(string(data))
	if key == "" {
		return "", fmt.Errorf("%s is empty", label.name)
	}
	return api.Secret(key), nil
}

func checkKeyFile(file string, label fileLabel, stat func(string) (os.FileInfo, error)) error {
	fi, err := stat(file)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", label.name, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", label.name)
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 {
		return &insecureError{fmt.Sprintf("%s can be read by its group or others (mode %04o): run chmod %o %s",
			label.name, perm, KeyFileMode, label.shell)}
	}
	return nil
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
