package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const plantedHook = "https://hooks.example.com/services/T000/B000/PLANTEDsecret?token=PLANTEDquery"

func TestNotifyAndListen(t *testing.T) {
	cases := []struct {
		name    string
		extra   string // appended to baseConfig
		listen  string // replaces the listen line's value ("" keeps it)
		wantErr string // "" means valid
		addr    string // ListenAddr when valid
	}{
		{name: "defaults", addr: "127.0.0.1:9464"},
		{name: "listen off", listen: "off", addr: ""},
		{name: "listen empty", listen: `""`, addr: ""},
		{name: "webhook and heartbeat", extra: "notify:\n  webhook_url: " + plantedHook + "\n  heartbeat_url: https://hc-ping.com/PLANTEDuuid\n  timeout: 5s\n", addr: "127.0.0.1:9464"},
		{name: "webhook not http", extra: "notify: {webhook_url: \"ftp://PLANTEDhost/x\"}\n", wantErr: "notify.webhook_url: must be an absolute http or https URL"},
		{name: "webhook with credentials", extra: "notify: {webhook_url: \"https://user:PLANTEDpw@example.com/x\"}\n", wantErr: "notify.webhook_url: the URL carries credentials"},
		{name: "heartbeat without host", extra: "notify: {heartbeat_url: \"https:///PLANTED\"}\n", wantErr: "notify.heartbeat_url: the URL has no host"},
		{name: "timeout zero", extra: "notify: {timeout: 0s}\n", wantErr: "notify.timeout: 0s is out of range"},
	}
	for _, tc := range cases {
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
				if strings.Contains(err.Error(), "PLANTED") {
					t.Errorf("the error echoes the URL: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.ListenAddr(); got != tc.addr {
				t.Errorf("ListenAddr() = %q, want %q", got, tc.addr)
			}
			out, err := c.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{string(out), fmt.Sprintf("%v %+v %s", c, c.Notify, c.Notify)} {
				if strings.Contains(s, "PLANTED") {
					t.Errorf("a notification URL is printed:\n%s", s)
				}
			}
		})
	}
}

func TestListenWarnings(t *testing.T) {
	for _, listen := range []string{":9464", "0.0.0.0:9464", "192.0.2.1:9464"} {
		text := strings.Replace(baseConfig, "listen: 127.0.0.1:9464", `listen: "`+listen+`"`, 1)
		c := mustParse(t, text, baseEnv())
		if got := strings.Join(c.Warnings, "\n"); !strings.Contains(got, "reachable from other hosts") {
			t.Errorf("listen %q: warnings = %q, want one about other hosts", listen, got)
		}
	}
}
