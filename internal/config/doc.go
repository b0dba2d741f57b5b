// Package config reads, checks and prints the enspace-sync configuration
// file: where the database lives, how to log, the local listener, the
// Enspace environments (base URL, API key, limits, route overrides,
// integration secrets) and the workspaces to back up (schedule, what to
// include, retention). config.example.yaml at the repository root shows
// every key with its default.
//
// The functions follow the order of use:
//
//	path, err := config.Locate(flagValue, nil) // --config, $ENSPACE_SYNC_CONFIG, user's, /etc
//	cfg, err := config.Load(path, config.Options{})
//
// Locate takes --config and $ENSPACE_SYNC_CONFIG as given, then looks for
// $XDG_CONFIG_HOME/enspace-sync/config.yaml (~/.config/... when unset) and
// /etc/enspace-sync/config.yaml, in that order, so that an admin's own file
// wins over the service's. When none exists its error lists every place it
// looked. Starter writes the commented file that `config init` puts in the
// user's place.
//
// Load is Parse (expand, decode strictly, fill defaults, Validate) followed
// by ResolveSecrets (read key files). A `config check` command can call
// them one by one to report both kinds of problem, then print Redacted.
//
// # Errors
//
// Every error of Parse, Validate and ResolveSecrets is an *Error holding
// each problem found, one per line, as "file:line: path: problem", such as
//
//	config.yaml:7: unknown key "schedul" in workspaces[0] (did you mean "schedule"?)
//	config.yaml:12: workspaces[1].environment: "prod" is not defined (environments: production, stage)
//
// The problems print by line, and those of one line (a flow sequence, an
// alias) in the order of their key paths, an index compared as a number:
// offsite[2] before offsite[10] (sortProblems). It unwraps to the
// package's sentinel errors.
//
// # Secrets
//
// API keys are api.Secret values, which never print. No error, warning or
// Redacted output holds a key or an integration secret: values seen while
// parsing, and anything shaped like an Enspace key, are scrubbed from every
// message. A key file that its group or others can read is refused with
// the chmod that fixes it; a key written in the file itself is accepted with
// a warning.
//
// ResolveSecrets is the one reader of key and secret files. Besides the
// *Error listing every problem, it keeps each problem with what it belongs
// to: an environment's key (Environment.KeyErr), its integration secrets
// (Environment.IntegrationSecretsErr), an offsite target's password and
// credential files (Offsite.SecretsErr). Load with Options.SecretsOnUse
// turns those problems, and only those, into one warning each instead of
// an error, so that a program can fail only what needs the broken file
// (the app package does). A `config check` loads without it and reports
// them all.
//
// A ${VAR} left unset in one of those fields (api_key, api_key_file, an
// integration secret, an offsite target's *_file) is such a problem too
// (ErrUnsetVariable): Load leaves the value empty and ResolveSecrets keeps
// the problem with its item, so that SecretsOnUse warns about it and fails
// only its users, and a strict Load lists it with the files. A file field
// whose ${VAR}s are set but empty is treated alike ("expanded to nothing").
// An alias or merge key (<<: *anchor) that reaches such a field carries
// its problem and its text as written to the aliased item too. Parse alone
// refuses it, as it refuses an unset ${VAR} in any other field (and in a
// notification URL, which belongs to no item), unless SecretsOnUse or
// NoSecrets is given.
//
// The value of a ${VAR} in a file field is never shown either: the
// variable may hold the secret itself where its path was meant. Messages
// call the file "the file named by ${VAR}" (the text as written), the
// chmod hint quotes the reference for the shell (${VAR:?}: a shell
// without the variable stops), and Redacted and
// Environment.KeyFileName give the reference as written. Under fmt an
// integration's SecretValues print every value and every *_file path as
// [redacted], and an Offsite target its file paths: neither knows which
// path came from a variable.
//
// # Design notes
//
// ${VAR} references are expanded in the scalar values of the parsed YAML
// tree, before the tree is decoded into structs, rather than in the raw
// text. This keeps every promise of text expansion and adds three: a
// comment that mentions ${VAR} is not expanded (config.example.yaml has
// such comments), a value holding ": " or "#" or a newline cannot change the
// structure of the file, and line numbers stay exact. A plain scalar that
// held a reference is re-typed from its new text, so "concurrency: ${N}"
// reads as a number; a quoted one stays a string. Mapping keys are not
// expanded. A value from the environment is known to be one, which is how
// a key written in the file is told from a key passed as ${VAR}.
//
// Strict decoding is a walk of the parsed tree against the Config struct's
// yaml tags, before yaml.v3 decodes it. yaml.v3's KnownFields(true) does not
// apply inside values decoded through an UnmarshalYAML method (used here so
// that environments and workspaces start from their defaults, which tells
// "concurrency: 0" from a missing key), and it names neither the key path
// nor the likely typo. The walk does both, refuses duplicate keys, and
// checks each scalar by decoding it with yaml.v3 into the field's type.
//
// # Caveats
//
//   - Defaults apply per key: "retention: {keep_last: 5}" keeps the other
//     three rules at their defaults; set a rule to 0 to turn it off.
//   - Inside a flow mapping or list ({...} or [...]) a reference must be
//     quoted, "${VAR}": YAML does not allow braces in a plain scalar there.
//   - A default in ${VAR:-default} applies when VAR is unset or empty; a
//     ${VAR} set to "" expands to "" (an empty API key is then an error).
//   - An include or exclude token that is a kind name means the kind, even
//     when a type has that slug.
//   - A Config is not safe for concurrent use until ResolveSecrets has
//     returned; after that it is only read. Reloading means building a new
//     Config.
//   - Relative key files given to Parse (not Load) start from the directory
//     of its name argument.
package config
