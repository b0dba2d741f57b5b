package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Workspace returns the workspace called name. The error wraps
// ErrUnknownWorkspace and lists the names known.
func (c *Config) Workspace(name string) (*Workspace, error) {
	names := make([]string, 0, len(c.Workspaces))
	for _, w := range c.Workspaces {
		if w == nil {
			continue
		}
		if w.Name == name {
			return w, nil
		}
		names = append(names, w.Name)
	}
	known := "none configured"
	if len(names) > 0 {
		known = "workspaces: " + strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%w %q (%s)", ErrUnknownWorkspace, name, known)
}

// Env returns the workspace's environment. It is nil until Parse, Load or
// Validate has linked the workspace to its Config.
func (w *Workspace) Env() *Environment { return w.env }

// Key returns the API key: APIKey, or the content of APIKeyFile once
// ResolveSecrets has read it; "" before.
func (e *Environment) Key() api.Secret {
	if e.APIKey != "" {
		return e.APIKey
	}
	if e.read == nil {
		return ""
	}
	return e.read().key
}

// KeyFileName returns APIKeyFile as messages may show it: as written
// ("${KEY_FILE}") when it came from ${VAR}, whose value may be the key
// itself; as it is otherwise.
func (e *Environment) KeyFileName() string {
	if e.keyFileNamed != "" {
		return e.keyFileNamed
	}
	return e.APIKeyFile
}

// KeyErr returns why ResolveSecrets found no usable key in APIKeyFile
// (missing, unreadable, readable by others, empty, malformed): an *Error
// naming the file and the problem, never the key. nil when the key is
// usable, when it is written in the config, and before ResolveSecrets.
// Load with Options.SecretsOnUse keeps such a problem here instead of
// failing; whatever reaches the API with Key must check it first.
func (e *Environment) KeyErr() error {
	if e.read == nil {
		return nil
	}
	return e.read().keyErr
}

// IntegrationSecretsErr returns why ResolveSecrets could not read one of
// the environment's *_file integration secrets, as KeyErr does for the key.
// What writes integrations into the environment (restore, replicate)
// needs them; a backup does not.
func (e *Environment) IntegrationSecretsErr() error {
	if e.read == nil {
		return nil
	}
	return e.read().secretsErr
}

// Routes returns the route table with the environment's overrides applied.
// Validate refuses bad overrides; on a config that did not validate, Routes
// falls back to api.DefaultRoutes rather than half-applied overrides.
func (e *Environment) Routes() api.Routes {
	routes, err := api.DefaultRoutes().WithOverrides(e.RouteOverrides)
	if err != nil {
		return api.DefaultRoutes()
	}
	return routes
}

// IntegrationSecrets returns the secrets configured for the integration
// with the given slug, by name ("token", "api_key"), with each *_file entry
// read and named without its suffix. Before ResolveSecrets it holds only
// the values written in the file. The map is a copy.
func (e *Environment) IntegrationSecrets(slug string) map[string]api.Secret {
	out := map[string]api.Secret{}
	if e.read != nil {
		r := e.read().integrations[slug]
		for name, v := range r {
			out[name] = v
		}
		return out
	}
	for name, v := range e.Secrets[slug] {
		if !isFileName(name) {
			out[name] = v
		}
	}
	return out
}

// IntegrationSlugs returns the slugs that have secrets, sorted.
func (e *Environment) IntegrationSlugs() []string {
	slugs := make([]string, 0, len(e.Secrets))
	for s := range e.Secrets {
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	return slugs
}

// Includes reports whether objects of kind (an api.Kinds name) belong in
// the workspace's backup; typeSlug is the slug of the type the objects
// belong to ("" for objects outside any type). Exclude wins; an empty
// Include includes everything. A token names the kind when it equals the
// kind's name or the name of one of its ancestors below types (flows names
// stages and tasks too), and names the objects of a type when it equals
// typeSlug. Includes does not say which parents a walker must list to reach
// included children: a walker lists them regardless.
func (w *Workspace) Includes(kind string, typeSlug string) bool {
	if names(w.Exclude, kind, typeSlug) {
		return false
	}
	return len(w.Include) == 0 || names(w.Include, kind, typeSlug)
}

// names reports whether a token in tokens names kind or typeSlug.
func names(tokens []string, kind, typeSlug string) bool {
	if len(tokens) == 0 {
		return false
	}
	lineage := kindLineage(kind)
	for _, t := range tokens {
		if isKindName(t) {
			for _, k := range lineage {
				if t == k {
					return true
				}
			}
			continue
		}
		if typeSlug != "" && t == typeSlug {
			return true
		}
	}
	return false
}

// kindLineage returns kind and its ancestors, stopping before types: the
// objects of a type are named by the type's slug, not by "types".
func kindLineage(name string) []string {
	out := []string{name}
	for i := 0; i < len(kind.All()); i++ {
		k, err := kind.ByName(name)
		if err != nil || k.Name != name || k.Parent == "" || k.Parent == kind.Types {
			break
		}
		name = k.Parent
		out = append(out, name)
	}
	return out
}

// isKindName reports whether s is exactly the name of a kind.
func isKindName(s string) bool {
	for _, k := range kind.All() {
		if k.Name == s {
			return true
		}
	}
	return false
}

func kindNames() string {
	var names []string
	for _, k := range kind.All() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// isFileName reports whether a secret's name ends in "_file".
func isFileName(name string) bool { return strings.HasSuffix(name, "_file") && name != "_file" }
