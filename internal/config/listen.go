package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ListenAddr returns the address of the daemon's listener, or "" when the
// listener is off (listen: "" or "off"): host:port, or unix:PATH for a
// unix socket.
func (c *Config) ListenAddr() string {
	if strings.EqualFold(strings.TrimSpace(c.Listen), ListenOff) {
		return ""
	}
	return strings.TrimSpace(c.Listen)
}

// ListenTokenPath returns the file of the listener's token and whether
// the config names it (listen_token_file). The daemon creates the default
// one, listen.token beside the database, when it is missing; a named one
// must exist.
func (c *Config) ListenTokenPath() (path string, named bool) {
	if f := strings.TrimSpace(c.ListenTokenFile); f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(c.source().dir, f)
		}
		return f, true
	}
	return filepath.Join(filepath.Dir(c.Database), ListenTokenName), false
}

// FileMode returns the socket's mode: Mode read as octal, DefaultSocketMode
// when empty.
func (s ListenSocket) FileMode() (os.FileMode, error) {
	if s.Mode == "" {
		return DefaultSocketMode, nil
	}
	n, err := strconv.ParseUint(s.Mode, 8, 32)
	if err != nil || n > 0o777 {
		return 0, fmt.Errorf("%q is not a mode in octal, such as \"0660\"", shorten(s.Mode))
	}
	return os.FileMode(n), nil
}

// validateListen checks listen, listen_hosts and listen_socket.
func (c *Config) validateListen(v *problems) {
	addr := c.ListenAddr()
	if path, ok := strings.CutPrefix(addr, ListenUnixPrefix); ok {
		if !filepath.IsAbs(path) {
			v.at("listen", ErrInvalid, "%q: a unix socket needs an absolute path, such as unix:/run/enspace-sync/sock", shorten(c.Listen))
		}
	} else if addr != "" {
		host, port, err := net.SplitHostPort(addr)
		n, perr := strconv.Atoi(port)
		switch {
		case err != nil:
			v.at("listen", ErrInvalid, "%q is not host:port (such as %s; unix:PATH for a unix socket; \"off\" disables the listener)", shorten(c.Listen), DefaultListen)
		case perr != nil || n < 0 || n > 65535:
			v.at("listen", ErrInvalid, "%q: the port must be a number from 0 to 65535", shorten(c.Listen))
		case host == "" || !isLoopback(host):
			c.warn("listen", fmt.Sprintf("%q is reachable from other hosts, over plain HTTP: the token guards status, triggers and the copy of the database but crosses the network in clear; prefer 127.0.0.1 or a unix socket", c.Listen))
		}
	}
	if _, unix := strings.CutPrefix(addr, ListenUnixPrefix); !unix && c.ListenSocket != (ListenSocket{}) {
		c.warn("listen_socket", "applies only to a unix socket (listen: unix:PATH); the listener is "+strconv.Quote(shorten(c.Listen)))
	}
	if _, err := c.ListenSocket.FileMode(); err != nil {
		v.at("listen_socket.mode", ErrInvalid, "%v", err)
	}
	if strings.ContainsFunc(c.ListenSocket.Group, isControl) || strings.ContainsAny(c.ListenSocket.Group, " :/") {
		v.at("listen_socket.group", ErrInvalid, "%q is not a group name", shorten(c.ListenSocket.Group))
	}
	for i, h := range c.ListenHosts {
		if h == "" || strings.ContainsAny(h, " /@") || strings.ContainsFunc(h, isControl) {
			v.at(indexPath("listen_hosts", i), ErrInvalid, "%q is not a host name", shorten(h))
		}
	}
	if strings.ContainsFunc(c.ListenTokenFile, isControl) {
		v.at("listen_token_file", ErrInvalid, "the path holds control characters")
	}
}
