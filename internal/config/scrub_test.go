package config

import (
	"errors"
	"strings"
	"testing"
)

func TestScrubSection(t *testing.T) {
	cases := []struct {
		name    string
		extra   string // appended to baseConfig
		want    Scrub
		wantErr string
	}{
		{name: "defaults", want: Scrub{Enabled: true, Schedule: "@weekly", Bandwidth: 20 << 20}},
		{name: "every key", extra: "scrub:\n  enabled: true\n  schedule: \"0 3 * * 0\"\n  bandwidth: 512KiB\n",
			want: Scrub{Enabled: true, Schedule: "0 3 * * 0", Bandwidth: 512 << 10}},
		{name: "unlimited", extra: "scrub: {bandwidth: 0}\n", want: Scrub{Enabled: true, Schedule: "@weekly", Bandwidth: 0}},
		{name: "bytes", extra: "scrub: {bandwidth: 1000000}\n", want: Scrub{Enabled: true, Schedule: "@weekly", Bandwidth: 1_000_000}},
		{name: "decimal unit", extra: "scrub: {bandwidth: 1.5MB/s}\n", want: Scrub{Enabled: true, Schedule: "@weekly", Bandwidth: 1_500_000}},
		{name: "off", extra: "scrub: {enabled: false, schedule: nonsense}\n", want: Scrub{Enabled: false, Schedule: "nonsense", Bandwidth: 20 << 20}},
		{name: "bad schedule", extra: "scrub: {schedule: \"61 * * * *\"}\n", wantErr: "scrub.schedule: \"61 * * * *\" is not a cron schedule"},
		{name: "bad size", extra: "scrub: {bandwidth: fast}\n", wantErr: "scrub.bandwidth: expected a size such as 20MiB (0: unlimited), got \"fast\""},
		{name: "negative size", extra: "scrub: {bandwidth: -1MiB}\n", wantErr: "scrub.bandwidth: expected a size"},
		{name: "unknown key", extra: "scrub: {rate: 1MiB}\n", wantErr: `unknown key "rate" in scrub`},
		{name: "workspace named scrub", extra: "  - name: scrub\n    environment: stage\n", wantErr: "workspaces[2].name: \"scrub\" is reserved for the daemon's scrub"},
		{name: "replication named scrub", extra: "replications:\n  - {name: scrub, from: acme, to: beta, schedule: \"@daily\"}\n", wantErr: "replications[0].name: \"scrub\" is reserved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(baseConfig+tc.extra), "config.yaml", Options{LookupEnv: env(baseEnv())})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !(errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnknownKey)) {
					t.Fatalf("err = %v, want one holding %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Scrub != tc.want {
				t.Errorf("scrub = %+v, want %+v", c.Scrub, tc.want)
			}
			out, err := c.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			if want := "bandwidth: " + tc.want.Bandwidth.String(); !strings.Contains(string(out), want) {
				t.Errorf("redacted config lacks %q:\n%s", want, out)
			}
		})
	}
}

func TestByteRateRoundTrip(t *testing.T) {
	for _, r := range []ByteRate{0, 1, 1000, 1 << 10, 20 << 20, 3 << 30, 1_500_000} {
		got, err := ParseByteRate(r.String())
		if err != nil || got != r {
			t.Errorf("ParseByteRate(%q) = %d, %v; want %d", r.String(), got, err, r)
		}
	}
}
