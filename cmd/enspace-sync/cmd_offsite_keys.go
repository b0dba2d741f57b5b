package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

func init() {
	register(&command{
		name:    "offsite keys",
		summary: "list, add or remove a target's keys (password rotation)",
		usage:   "enspace-sync offsite keys [--config FILE] [--target NAME] [--add --new-password-file FILE] [--remove ID] [--json]",
		help: `Lists the target's keys: each opens the repository with its own password.
--add --new-password-file FILE adds a key for the password in FILE;
--remove ID removes a key, never the one the configured password opens; ID
is the key's id as the listing shows it, or its first characters (at least
4) when they name one key.

To rotate the password: add a key for the new one, put the new password in
the target's password_file (and reload the daemon), then remove the old
key, which is no longer the current one. The data is not re-encrypted:
whoever kept a copy of the old key file and knows the old password can
still read the repository.

Examples:
  enspace-sync offsite keys --target nas
  enspace-sync offsite keys --target nas --add \
      --new-password-file /etc/enspace-sync/offsite.password.new
  enspace-sync offsite keys --target nas --remove 3f9a1c07`,
		run: configured("offsite keys", 0, offsiteKeysCommand),
	})
}

type offsiteKeysOptions struct {
	invocation
	target, newPasswordFile, remove string
	add                             bool
}

func (o *offsiteKeysOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.target, "target", "", "the offsite target's name (default: every target)")
	fs.BoolVar(&o.add, "add", false, "add a key for the password in --new-password-file")
	fs.StringVar(&o.newPasswordFile, "new-password-file", "", "the file holding the new key's password (mode 0600)")
	fs.StringVar(&o.remove, "remove", "", "remove the key with this id")
}

func offsiteKeysCommand(ctx context.Context, m *Main, o *offsiteKeysOptions) error {
	if o.add != (o.newPasswordFile != "") {
		return usagef("offsite keys", "--add and --new-password-file go together")
	}
	if o.remove != "" && len(o.remove) < 4 {
		return usagef("offsite keys", "--remove %q: give at least 4 characters of the key's id (offsite keys lists them)", o.remove)
	}
	var pw string
	if o.add {
		s, err := config.ReadKeyFile(o.newPasswordFile)
		if err != nil {
			return usagef("offsite keys", "--new-password-file: %v", err)
		}
		pw = s.Reveal()
	}
	svc, err := m.service(o.cfg, nil)
	if err != nil {
		return err
	}
	reps, err := svc.OffsiteKeyChange(ctx, o.target, pw, o.remove)
	if err != nil {
		return offsiteError(ctx, err)
	}
	if o.g.asJSON {
		return printJSON(m, reps)
	}
	for _, r := range reps {
		if r.Added != "" {
			fmt.Fprintf(m.Stdout, "%s: added key %s\n", r.Target, r.Added)
		}
		if r.Removed != "" {
			fmt.Fprintf(m.Stdout, "%s: removed key %s\n", r.Target, r.Removed)
		}
		for _, k := range r.Keys {
			cur := ""
			if k.Current {
				cur = "  (opened by password_file)"
			}
			fmt.Fprintf(m.Stdout, "%s: key %s created %s%s\n", r.Target, k.ID, k.Created.Local().Format(time.DateTime), cur)
		}
	}
	return nil
}
