package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// ErrExists is returned by WriteStarter when the config file or the key
// file it would write already exists: it never overwrites either.
var ErrExists = errors.New("already exists")

// Starter is what `config init` asks for: one environment, one workspace,
// and where the database and key file go.
type Starter struct {
	BaseURL     string // the API's root, such as https://api.leif.enspace.io
	Environment string // the environment's name in the file, such as production
	Workspace   string // the workspace's name and slug
	KeyFile     string // written as api_key_file, relative to the config's directory; "" means KeyFileName
	Database    string // an absolute path
	// System lays the files out for the systemd service, in /etc/enspace-sync
	// (see systemd/enspace-sync.service): the key file is named as the
	// credential the unit loads (the environment's name), and the config,
	// which holds no secret, is readable by every user (0644, directory
	// 0755), so that admins who are not root can run the read commands.
	System bool
}

// UserDatabase is the database of a user's own config:
// $XDG_DATA_HOME/enspace-sync/enspace-sync.db, or
// ~/.local/share/enspace-sync/enspace-sync.db. lookup nil means os.LookupEnv.
func UserDatabase(lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if dir, ok := lookup("XDG_DATA_HOME"); ok && filepath.IsAbs(dir) {
		return filepath.Join(dir, "enspace-sync", DatabaseFile), nil
	}
	home, _ := lookup("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("find the user's data directory: neither $XDG_DATA_HOME nor $HOME is an absolute path")
	}
	return filepath.Join(home, ".local", "share", "enspace-sync", DatabaseFile), nil
}

var starterTemplate = template.Must(template.New("starter").Funcs(template.FuncMap{"q": quote}).Parse(`# enspace-sync configuration, written by "enspace-sync config init".
# Every key, with its default, is described in config.example.yaml of the
# source (https://github.com/enspace-sync/enspace-sync). Check it with:
#   enspace-sync config check && enspace-sync doctor

# database: the bbolt file holding every snapshot (created on the first backup).
database: {{q .Database}}

environments:
  {{q .Environment}}:
    # base_url: the API's root.
    base_url: {{q .BaseURL}}
    # api_key_file: the file holding the API key (chmod 600), relative to this
    # file's directory. The key needs the read scope for backups, and write and
    # delete for restore and replicate.
    api_key_file: {{q .KeyFile}}

workspaces:
  - name: {{q .Workspace}}
    environment: {{q .Environment}}
    # slug: the workspace's slug in Enspace (the en-workspace header).
    slug: {{q .Workspace}}
    # schedule: when "enspace-sync run" backs it up (cron, or @daily, @every 6h).
    schedule: "@daily"
`))

// KeyFileName is the key file the starter names: KeyFile, or when it is
// empty ENVIRONMENT.key (ENVIRONMENT for a System layout: the credential's
// name).
func (s Starter) KeyFileName() string {
	switch {
	case s.KeyFile != "":
		return s.KeyFile
	case s.System:
		return s.Environment
	}
	return s.Environment + ".key"
}

// quote writes s as a YAML double-quoted scalar (JSON's string syntax is
// one), so that no answer can change the structure of the file.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Text returns the commented starter config.
func (s Starter) Text() ([]byte, error) {
	s.KeyFile = s.KeyFileName()
	for name, v := range map[string]string{"base URL": s.BaseURL, "environment": s.Environment, "workspace": s.Workspace, "key file": s.KeyFile, "database": s.Database} {
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("starter config: no %s given", name)
		}
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return nil, fmt.Errorf("starter config: the %s holds control characters or invalid UTF-8", name)
		}
	}
	var b bytes.Buffer
	if err := starterTemplate.Execute(&b, s); err != nil {
		return nil, err
	}
	// Parse it as Load would, so that a bad answer is refused before
	// anything is written.
	if _, err := Parse(bytes.NewReader(b.Bytes()), "config.yaml", Options{NoExpand: true, NoSecrets: true}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteStarter writes the starter config to path and the API key to its
// key file (mode 0600). The config has mode 0600 and a new directory 0700,
// or 0644 and 0755 for a System layout. It
// refuses, with ErrExists and before writing anything, when either file
// exists. The key's surrounding whitespace is dropped.
func WriteStarter(path string, s Starter, key []byte) error {
	text, err := s.Text()
	if err != nil {
		return err
	}
	key = bytes.TrimSpace(key)
	if len(key) == 0 || bytes.ContainsFunc(key, func(r rune) bool { return isControl(r) || r == ' ' }) {
		return fmt.Errorf("the API key is empty or holds spaces or control characters: %w", ErrInvalid)
	}
	keyPath := s.KeyFileName()
	if !filepath.IsAbs(keyPath) {
		keyPath = filepath.Join(filepath.Dir(path), keyPath)
	}
	for _, p := range []string{path, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("write %s: %w; not overwritten", p, ErrExists)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("write starter config: %w", err)
		}
	}
	configMode, dirMode := os.FileMode(0o600), os.FileMode(0o700)
	if s.System {
		configMode, dirMode = 0o644, 0o755
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return fmt.Errorf("write starter config: %w", err)
	}
	if err := writeNew(keyPath, append(key, '\n'), KeyFileMode); err != nil {
		return err
	}
	if err := writeNew(path, text, configMode); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// writeNew creates path, which must not exist, with data, and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write %s: %w; not overwritten", path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("write starter config: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
