package config

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// DefaultMaxChange is the share of the target's objects a scheduled
// replication may update or delete before it stops and notifies instead.
const DefaultMaxChange = 0.25

// Replication is a replication the daemon runs on a schedule: the plan of
// `enspace-sync replicate --from From --to To`, applied unless it would
// change too much of the target.
type Replication struct {
	// Name is how status, metrics and notifications name it; default
	// "FROM-to-TO". Unique among replications and workspaces.
	Name string `yaml:"name"`
	// From and To name configured workspaces.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// Only restricts the kinds compared (default: the configuration kinds).
	Only []string `yaml:"only"`
	// IncludeData also copies items, members, group membership and quick tasks.
	IncludeData bool `yaml:"include_data"`
	// Prune also deletes configuration objects the source lacks. Default false.
	Prune bool `yaml:"prune"`
	// Schedule is a cron spec or descriptor, as for workspaces. Required.
	Schedule string `yaml:"schedule"`
	// MaxChange is the largest share (0..1) of the target's objects in
	// scope that one run may update or delete; a plan over it is not
	// applied, and a notification says why. Default 0.25.
	MaxChange float64 `yaml:"max_change"`
}

// UnmarshalYAML implements yaml.Unmarshaler: keys left out keep their
// defaults.
func (r *Replication) UnmarshalYAML(n *yaml.Node) error {
	type plain Replication
	v := plain{MaxChange: DefaultMaxChange}
	if err := n.Decode(&v); err != nil {
		return err
	}
	*r = Replication(v)
	return nil
}

// Replication returns the replication with the given name.
func (c *Config) Replication(name string) (*Replication, error) {
	for _, r := range c.Replications {
		if r != nil && r.Name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w: no replication named %q", ErrInvalid, name)
}

// validateReplications checks each replication and its links to the
// workspaces.
func (c *Config) validateReplications(v *problems) {
	names := map[string]bool{}
	for _, w := range c.Workspaces {
		if w != nil {
			names[w.Name] = true
		}
	}
	for i, r := range c.Replications {
		path := indexPath("replications", i)
		if r == nil {
			v.at(path, ErrInvalid, "empty entry: from, to and schedule are required")
			continue
		}
		for _, end := range []struct{ key, name string }{{"from", r.From}, {"to", r.To}} {
			if end.name == "" {
				v.at(path+"."+end.key, ErrInvalid, "required: the name of a workspace")
			} else if _, err := c.Workspace(end.name); err != nil {
				v.at(path+"."+end.key, ErrInvalid, "%q is not a configured workspace", shorten(end.name))
			}
		}
		if r.From != "" && r.From == r.To {
			v.at(path+".to", ErrInvalid, "%q is also the source: a replication copies between two workspaces", shorten(r.To))
		}
		if r.Name == "" && r.From != "" && r.To != "" {
			r.Name = r.From + "-to-" + r.To
		}
		switch {
		case r.Name == "":
		case !workspaceName.MatchString(r.Name):
			v.at(path+".name", ErrInvalid, "%q is not a valid name ([a-z0-9][a-z0-9._-]*)", shorten(r.Name))
		case names[r.Name]:
			v.at(path+".name", ErrInvalid, "%q is already the name of a workspace or replication", r.Name)
		}
		names[r.Name] = true
		if r.Schedule == "" {
			v.at(path+".schedule", ErrInvalid, "required: a cron schedule (5 fields, or @daily, @every 6h ...)")
		} else if err := checkCron(r.Schedule); err != nil {
			v.at(path+".schedule", ErrInvalid, "%q is not a cron schedule (5 fields, or @daily, @hourly, @every 6h ...): %v", shorten(r.Schedule), err)
		}
		for j, k := range r.Only {
			if !isKindName(k) {
				v.at(indexPath(path+".only", j), ErrInvalid, "%q is not a kind (%s)", shorten(k), kindNames())
			}
		}
		if !(r.MaxChange >= 0 && r.MaxChange <= 1) {
			v.at(path+".max_change", ErrInvalid, "%g is not a share between 0 and 1 (0.25 = hold a plan that changes more than 25%% of the target)", r.MaxChange)
		}
	}
}
