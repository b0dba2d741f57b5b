package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Defaults of the scrub section.
const (
	DefaultScrubSchedule  = "@weekly"
	DefaultScrubBandwidth = 20 << 20 // bytes a second
	// ScrubJob is the name of the daemon's scrub job, as trigger and
	// status call it: no workspace nor replication may take it.
	ScrubJob = "scrub"
)

// Scrub configures the daemon's scrub: on its schedule, the daemon reads
// every stored object of every snapshot back, checks it against its
// address and records what it finds damaged (the next backup then stores
// those objects afresh). Like a ZFS scrub, it reads at a bounded pace so
// that the disk keeps serving everything else.
type Scrub struct {
	// Enabled schedules the scrub; default true.
	Enabled bool `yaml:"enabled"`
	// Schedule is a 5-field cron line or a descriptor, read in
	// Config.Timezone; default @weekly.
	Schedule string `yaml:"schedule"`
	// Bandwidth caps the bytes read a second: a whole number of bytes or
	// one with a unit (KiB, MiB, GiB, KB, MB, GB); 0 means unlimited.
	// Default 20MiB.
	Bandwidth ByteRate `yaml:"bandwidth"`
}

// DefaultScrub returns the scrub section of a file that leaves it out.
func DefaultScrub() Scrub {
	return Scrub{Enabled: true, Schedule: DefaultScrubSchedule, Bandwidth: DefaultScrubBandwidth}
}

// ByteRate is a number of bytes a second, written as 20MiB or 1048576.
type ByteRate int64

var byteUnits = []struct {
	suffix string
	mult   float64
}{ // longest suffixes first
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1},
}

// ParseByteRate reads "20MiB", "1.5GB", "512k" or "1048576" (bytes), with
// an optional "/s". It refuses negative values.
func ParseByteRate(s string) (ByteRate, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "/s")
	mult := 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a size (such as 20MiB, 512KiB or 0 for unlimited)", shorten(s))
	}
	if f < 0 {
		return 0, fmt.Errorf("%q is negative (0 means unlimited)", shorten(s))
	}
	if f*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", shorten(s))
	}
	return ByteRate(math.Round(f * mult)), nil
}

// String writes r with the largest binary unit that divides it.
func (r ByteRate) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if r != 0 && int64(r)%u.n == 0 {
			return strconv.FormatInt(int64(r)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(r), 10)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *ByteRate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as 20MiB")
	}
	v, err := ParseByteRate(n.Value)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML implements yaml.Marshaler: a number without a unit stays a
// number.
func (r ByteRate) MarshalYAML() (any, error) {
	if s := r.String(); strings.HasSuffix(s, "B") {
		return s, nil
	}
	return int64(r), nil
}

// validateScrub checks the scrub section and reserves its job's name.
func (c *Config) validateScrub(v *problems) {
	if c.Scrub.Enabled {
		if err := checkCron(c.Scrub.Schedule); err != nil {
			v.at("scrub.schedule", ErrInvalid, "%q is not a cron schedule (5 fields, or @weekly, @daily, @every 72h ...): %v", shorten(c.Scrub.Schedule), err)
		}
	}
	for i, w := range c.Workspaces {
		if w != nil && w.Name == ScrubJob {
			v.at(indexPath("workspaces", i)+".name", ErrInvalid, "%q is reserved for the daemon's scrub (enspace-sync trigger scrub)", ScrubJob)
		}
	}
	for i, r := range c.Replications {
		if r != nil && r.Name == ScrubJob {
			v.at(indexPath("replications", i)+".name", ErrInvalid, "%q is reserved for the daemon's scrub (enspace-sync trigger scrub)", ScrubJob)
		}
	}
}
