package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// NotFoundError is returned by Locate when no configuration file exists in
// any of the places it looks. It unwraps to fs.ErrNotExist.
type NotFoundError struct {
	Tried []string // the paths looked at, in order
}

func (e *NotFoundError) Error() string {
	return "no config file found; looked in " + strings.Join(e.Tried, ", ")
}

// Unwrap makes errors.Is(err, fs.ErrNotExist) true.
func (e *NotFoundError) Unwrap() error { return fs.ErrNotExist }

// Locate returns the configuration file to read. An explicit choice is
// taken as it is, existing or not (Load then names it in its error):
// flagValue (--config), else $ENSPACE_SYNC_CONFIG. Otherwise the first
// existing file of SearchPaths wins: the user's file, then the system-wide
// one. When none exists the error is a *NotFoundError listing them.
// lookup reads the environment; nil means os.LookupEnv.
func Locate(flagValue string, lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if flagValue != "" {
		return flagValue, nil
	}
	if v, ok := lookup(EnvConfigPath); ok && v != "" {
		return v, nil
	}
	tried := SearchPaths(lookup)
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return p, nil // a file that exists, or one Load will explain (permission denied)
		}
	}
	return "", &NotFoundError{Tried: append([]string{"$" + EnvConfigPath + " (unset)"}, tried...)}
}

// SearchPaths lists where Locate looks when neither --config nor
// $ENSPACE_SYNC_CONFIG names a file: UserPath (when a home directory or
// $XDG_CONFIG_HOME is known), then DefaultPath.
func SearchPaths(lookup func(string) (string, bool)) []string {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var out []string
	if p, err := UserPath(lookup); err == nil {
		out = append(out, p)
	}
	return append(out, DefaultPath)
}

// UserPath is the configuration file of the user running the command:
// $XDG_CONFIG_HOME/enspace-sync/config.yaml, or
// ~/.config/enspace-sync/config.yaml when XDG_CONFIG_HOME is unset or not
// absolute (as the XDG base directory specification says). `config init`
// writes there. lookup nil means os.LookupEnv.
func UserPath(lookup func(string) (string, bool)) (string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if dir, ok := lookup("XDG_CONFIG_HOME"); ok && filepath.IsAbs(dir) {
		return filepath.Join(dir, UserFile), nil
	}
	home, _ := lookup("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("find the user's config directory: neither $XDG_CONFIG_HOME nor $HOME is an absolute path")
	}
	return filepath.Join(home, ".config", UserFile), nil
}
