package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		listen  string // replaces the listen line's value
		extra   string // appended to baseConfig
		wantErr string // "" means valid
		token   string // ListenTokenPath when valid
		named   bool
		mode    os.FileMode
		warn    string // a warning that must be given; none when ""
	}{
		{name: "defaults", token: "/tmp/listen.token", mode: 0o600},
		{name: "unix socket", listen: "unix:/run/enspace-sync/sock", extra: "listen_socket: {mode: \"0660\", group: backup}\n",
			token: "/tmp/listen.token", mode: 0o660},
		{name: "token file and hosts", extra: "listen_token_file: /etc/enspace-sync/listen.token\nlisten_hosts: [backup.example.com]\n",
			token: "/etc/enspace-sync/listen.token", named: true, mode: 0o600},
		{name: "socket settings without a socket", extra: "listen_socket: {mode: \"0660\"}\n", warn: "listen_socket: applies only to a unix socket",
			token: "/tmp/listen.token", mode: 0o660},
		{name: "relative socket", listen: "unix:sock", wantErr: "listen: \"unix:sock\": a unix socket needs an absolute path"},
		{name: "mode not octal", extra: "listen_socket: {mode: \"0990\"}\n", wantErr: `listen_socket.mode: "0990" is not a mode in octal`},
		{name: "mode too wide", extra: "listen_socket: {mode: \"01777\"}\n", wantErr: `listen_socket.mode: "01777" is not a mode in octal`},
		{name: "group with a colon", extra: "listen_socket: {group: \"a:b\"}\n", wantErr: `listen_socket.group: "a:b" is not a group name`},
		{name: "host with a path", extra: "listen_hosts: [\"x/y\"]\n", wantErr: `listen_hosts[0]: "x/y" is not a host name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := baseConfig + tc.extra
			if tc.listen != "" {
				text = strings.Replace(text, "listen: 127.0.0.1:9464", "listen: "+tc.listen, 1)
			}
			c, err := Parse(strings.NewReader(text), "config.yaml", Options{LookupEnv: env(baseEnv())})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v, want one holding %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if path, named := c.ListenTokenPath(); path != filepath.FromSlash(tc.token) || named != tc.named {
				t.Errorf("ListenTokenPath() = %q, %v; want %q, %v", path, named, tc.token, tc.named)
			}
			if mode, err := c.ListenSocket.FileMode(); err != nil || mode != tc.mode {
				t.Errorf("socket mode = %v, %v; want %v", mode, err, tc.mode)
			}
			if got := strings.Join(c.Warnings, "\n"); (tc.warn == "") != (got == "") || !strings.Contains(got, tc.warn) {
				t.Errorf("warnings: %q, want %q", c.Warnings, tc.warn)
			}
		})
	}
}
