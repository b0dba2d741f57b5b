package config

import (
	"os"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// OffsiteAfterBackup is the schedule that pushes after every backup, the
// default.
const OffsiteAfterBackup = "after-backup"

// Offsite is one offsite target: an encrypted repository on S3 or a
// mounted disk that the daemon pushes its snapshots to.
type Offsite struct {
	// Name is how commands (--target), status and metrics name the target.
	Name string `yaml:"name"`
	// URL is file:///abs/dir or s3://bucket/prefix with the options
	// endpoint=https://host:port, region= and path_style=true.
	URL string `yaml:"url"`
	// PasswordFile holds the repository password, which unlocks the
	// target's key (as restic's repository password). Required.
	PasswordFile string `yaml:"password_file"`
	// AccessKeyIDFile, SecretAccessKeyFile and SessionTokenFile hold an S3
	// target's credentials; when unset, AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are used. Relative
	// paths start from $CREDENTIALS_DIRECTORY when set.
	AccessKeyIDFile     string `yaml:"access_key_id_file,omitempty"`
	SecretAccessKeyFile string `yaml:"secret_access_key_file,omitempty"`
	SessionTokenFile    string `yaml:"session_token_file,omitempty"`
	// Schedule is when the daemon pushes: "after-backup" (the default,
	// also when empty) or a cron schedule.
	Schedule string `yaml:"schedule,omitempty"`
	// StaleAfter is how long the target may go without receiving a
	// snapshot before the daemon notifies (once, until one arrives); 0
	// (the default) never.
	StaleAfter time.Duration `yaml:"stale_after,omitempty"`

	read func() *offsiteSecrets
}

type offsiteSecrets struct {
	password             api.Secret
	keyID, secret, token api.Secret
	err                  error // why a password or credential file could not be read
}

// offsiteFile is one of a target's password and credential file fields.
type offsiteFile struct {
	key  string      // its YAML key
	file *string     // the field
	dst  *api.Secret // where ResolveSecrets puts what it read
}

// fileFields lists o's password and credential file fields, with where
// their secrets go in s (which may be nil): the one list that the parse
// (secretKind), ResolveSecrets and Redacted go by.
func (o *Offsite) fileFields(s *offsiteSecrets) []offsiteFile {
	if s == nil {
		s = &offsiteSecrets{}
	}
	return []offsiteFile{
		{"password_file", &o.PasswordFile, &s.password},
		{"access_key_id_file", &o.AccessKeyIDFile, &s.keyID},
		{"secret_access_key_file", &o.SecretAccessKeyFile, &s.secret},
		{"session_token_file", &o.SessionTokenFile, &s.token},
	}
}

// isOffsiteFileKey reports whether key is one of fileFields.
func isOffsiteFileKey(key string) bool {
	for _, f := range (&Offsite{}).fileFields(nil) {
		if f.key == key {
			return true
		}
	}
	return false
}

// AfterBackup reports whether the target is pushed after every backup
// rather than on a cron schedule.
func (o *Offsite) AfterBackup() bool {
	return o.Schedule == "" || o.Schedule == OffsiteAfterBackup
}

// Location returns the parsed URL (valid once Validate passed).
func (o *Offsite) Location() offsite.Location {
	l, _ := offsite.ParseURL(o.URL)
	return l
}

// Password returns the repository password ResolveSecrets read; "" before.
func (o *Offsite) Password() api.Secret {
	if o.read == nil {
		return ""
	}
	return o.read().password
}

// SecretsErr returns why ResolveSecrets could not read the target's
// password_file or one of its credential files: an *Error naming each file
// and what is wrong with it (never a secret), which also says that the
// target's commands fail until it is fixed. nil when every file was read,
// and before ResolveSecrets. Load with Options.SecretsOnUse keeps such a
// problem here instead of failing; whatever opens the target must check it.
func (o *Offsite) SecretsErr() error {
	if o.read == nil {
		return nil
	}
	return o.read().err
}

// Credentials returns the S3 credentials ResolveSecrets read (empty
// fields fall back to the AWS_* variables when the backend opens).
func (o *Offsite) Credentials() offsite.Credentials {
	if o.read == nil {
		return offsite.Credentials{}
	}
	s := o.read()
	return offsite.Credentials{AccessKeyID: s.keyID.Reveal(), SecretAccessKey: s.secret.Reveal(), SessionToken: s.token.Reveal()}
}

// OffsiteTarget returns the target with the given name.
func (c *Config) OffsiteTarget(name string) (*Offsite, error) {
	for _, o := range c.Offsite {
		if o != nil && o.Name == name {
			return o, nil
		}
	}
	return nil, &Error{Problems: []Problem{{Path: "offsite", Err: ErrInvalid, Msg: "no offsite target named " + quote(shorten(name))}}}
}

// DaemonName returns the name this daemon pushes under: Name, or the host
// name.
func (c *Config) DaemonName() string {
	if c.Name != "" {
		return c.Name
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "enspace-sync"
	}
	return h
}

// validateOffsite checks the offsite targets.
func (c *Config) validateOffsite(v *problems) {
	if c.Name != "" && !environmentName.MatchString(c.Name) {
		v.at("name", ErrInvalid, "%q is not a valid daemon name ([A-Za-z0-9][A-Za-z0-9._-]*)", shorten(c.Name))
	}
	seen := map[string]bool{}
	for i, o := range c.Offsite {
		path := indexPath("offsite", i)
		if o == nil {
			v.at(path, ErrInvalid, "empty entry: name, url and password_file are required")
			continue
		}
		switch {
		case o.Name == "":
			v.at(path+".name", ErrInvalid, "required: a name for the target")
		case !workspaceName.MatchString(o.Name):
			v.at(path+".name", ErrInvalid, "%q is not a valid name ([a-z0-9][a-z0-9._-]*)", shorten(o.Name))
		case seen[o.Name]:
			v.at(path+".name", ErrInvalid, "%q names two targets", o.Name)
		}
		seen[o.Name] = true
		src := c.source()
		// A credential field whose ${VAR} is unset is left empty, but it
		// was given: its unset variable is one problem, a file:// target
		// or a missing partner another.
		given := func(key, value string) bool { return value != "" || src.isUnresolved(path+"."+key) }
		idSet := given("access_key_id_file", o.AccessKeyIDFile)
		secretSet := given("secret_access_key_file", o.SecretAccessKeyFile)
		tokenSet := given("session_token_file", o.SessionTokenFile)
		l, err := offsite.ParseURL(o.URL)
		switch {
		case o.URL == "":
			v.at(path+".url", ErrInvalid, "required: file:///dir or s3://bucket/prefix?endpoint=...")
		case err != nil:
			v.at(path+".url", ErrInvalid, "%v", strings.TrimPrefix(err.Error(), "invalid: "))
		case l.Scheme == "file" && (idSet || secretSet || tokenSet):
			key := "access_key_id_file"
			switch {
			case idSet:
			case secretSet:
				key = "secret_access_key_file"
			default:
				key = "session_token_file"
			}
			v.at(path+"."+key, ErrInvalid, "S3 credentials given for a file:// target")
		}
		if idSet != secretSet {
			v.at(path+".secret_access_key_file", ErrInvalid, "access_key_id_file and secret_access_key_file go together")
		}
		if o.PasswordFile == "" && !src.isUnresolved(path+".password_file") {
			v.at(path+".password_file", ErrInvalid, "required: the file holding the repository password")
		}
		if o.StaleAfter < 0 {
			v.at(path+".stale_after", ErrInvalid, "%s is negative: a duration such as 26h, or 0 to never notify", o.StaleAfter)
		}
		if !o.AfterBackup() {
			if err := checkCron(o.Schedule); err != nil {
				v.at(path+".schedule", ErrInvalid, "%q is not %s nor a cron schedule: %v", shorten(o.Schedule), OffsiteAfterBackup, err)
			}
		}
	}
}

// resolveOffsite reads each target's password and credential files.
func (c *Config) resolveOffsite(v *problems) {
	for i, o := range c.Offsite {
		if o == nil {
			continue
		}
		path := indexPath("offsite", i)
		s := &offsiteSecrets{}
		o.read = func() *offsiteSecrets { return s }
		first := len(v.list)
		for _, f := range o.fileFields(s) {
			if c.unset(v, path+"."+f.key) || *f.file == "" {
				continue
			}
			if val, ok := c.readSecret(v, path+"."+f.key, *f.file); ok {
				*f.dst = val
				v.secrets = append(v.secrets, val.Reveal())
			}
		}
		v.claim(first, func(err error) { s.err = err })
	}
}
