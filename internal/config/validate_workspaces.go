package config

import (
	"regexp"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/scheduler"
)

// workspaceSlug is what an en-workspace value may look like.
var workspaceSlug = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// validateWorkspaces checks each workspace and its links to the rest.
func (c *Config) validateWorkspaces(v *problems) {
	if len(c.Workspaces) == 0 {
		v.at("workspaces", ErrInvalid, "at least one workspace is required")
	}
	envs := strings.Join(sortedKeys(c.Environments), ", ")
	if envs == "" {
		envs = "none"
	}
	firstUse := map[string]int{}
	for i, w := range c.Workspaces {
		path := indexPath("workspaces", i)
		if w == nil {
			v.at(path, ErrInvalid, "empty entry: name and environment are required")
			continue
		}
		switch first, dup := firstUse[w.Name]; {
		case w.Name == "":
			v.at(path+".name", ErrInvalid, "required")
		case !workspaceName.MatchString(w.Name):
			v.at(path+".name", ErrInvalid, "%q is not a valid name ([a-z0-9][a-z0-9._-]*)", shorten(w.Name))
		case dup:
			v.at(path+".name", ErrInvalid, "%q is already the name of workspaces[%d]", w.Name, first)
		default:
			firstUse[w.Name] = i
		}
		switch {
		case w.Environment == "":
			v.at(path+".environment", ErrInvalid, "required (environments: %s)", envs)
		case c.Environments[w.Environment] == nil:
			if _, ok := c.Environments[w.Environment]; !ok {
				v.at(path+".environment", ErrInvalid, "%q is not defined (environments: %s)", shorten(w.Environment), envs)
			}
		}
		if strings.ContainsFunc(w.Slug, func(r rune) bool { return isControl(r) || r == ' ' }) {
			v.at(path+".slug", ErrInvalid, "the slug holds spaces or control characters")
		} else if !workspaceSlug.MatchString(w.Slug) {
			v.at(path+".slug", ErrInvalid, "%q is not a workspace slug (letters, digits, '-', '_' and '.', starting with a letter or digit)", shorten(w.Slug))
		}
		if err := checkCron(w.Schedule); err != nil {
			v.at(path+".schedule", ErrInvalid, "%q is not a cron schedule (5 fields, or @daily, @hourly, @every 6h ...): %v", shorten(w.Schedule), err)
		}
		validateTokens(v, path+".include", w.Include)
		validateTokens(v, path+".exclude", w.Exclude)
		validateRetention(v, path+".retention", w.Retention)
		if !(w.AnomalyThreshold >= 0 && w.AnomalyThreshold <= 1) { // NaN fails both
			v.at(path+".anomaly_threshold", ErrInvalid, "%g is not a share between 0 and 1 (0.3 = flag a drop of more than 30%%; 0 = off)", w.AnomalyThreshold)
		}
	}
}

func validateTokens(v *problems, path string, tokens []string) {
	for i, t := range tokens {
		if !isKindName(t) && !typeSlug.MatchString(t) {
			v.at(indexPath(path, i), ErrInvalid, "%q is neither a kind (%s) nor a type slug ([a-z0-9_-]+)", shorten(t), kindNames())
		}
	}
}

func validateRetention(v *problems, path string, r Retention) {
	rules := []struct {
		name string
		n    int
	}{{"keep_last", r.KeepLast}, {"keep_daily", r.KeepDaily}, {"keep_weekly", r.KeepWeekly}, {"keep_monthly", r.KeepMonthly}}
	keeps := false
	for _, rule := range rules {
		if rule.n < 0 {
			v.at(path+"."+rule.name, ErrInvalid, "%d is negative (0 turns the rule off)", rule.n)
		}
		keeps = keeps || rule.n > 0
	}
	if !keeps {
		v.at(path, ErrInvalid, "every rule is 0 or less, so nothing would be kept: set keep_last to 1 or more")
	}
}

// checkCron parses a schedule as the scheduler will, by asking it: the
// scheduler alone parses schedules (it never panics, refuses an "@every"
// under one second and a spec that never activates).
func checkCron(spec string) error {
	_, err := scheduler.ParseSchedule(spec)
	return err
}
