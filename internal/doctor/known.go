package doctor

import (
	"encoding/json"
	"sort"
)

// known are the top-level keys the contract (enspace-api.md, section 4)
// gives each kind's objects, besides the server-assigned id, created_at,
// updated_at and user. Other keys are reported, not refused: a snapshot
// stores objects as received.
var known = map[string][]string{
	"workspace":      {"name", "slug", "icon"},
	"types":          {"name", "slug", "description", "icon", "color", "settings"},
	"fields":         {"name", "slug", "type", "required", "defaultValue", "options", "position", "active"},
	"items":          {"type", "data"},
	"forms":          {"type", "name", "fields"},
	"flows":          {"name", "status", "item_type", "start_type", "icon"},
	"stages":         {"name", "status", "progress_type", "is_start", "hex_color", "icon", "item_type", "flow", "tasks"},
	"tasks":          {"stage", "name", "action", "assignees", "integration", "form"},
	"schedule-tasks": {"type", "name", "reference_field", "calculation_type", "calculation", "frequency"},
	"roles":          {"name", "slug", "description", "permissions"},
	"groups":         {"name", "description", "users"},
	"members":        {"email", "type", "role", "status"},
	"quick-tasks":    {"title", "description", "status", "due_date", "assignees", "item"},
	"integrations":   {"data", "integration", "status"},
	"api-keys":       {"description", "expires_at", "reference", "scope"},
	"request-logs":   {"method", "path", "status_code", "workspace"},
}

// common are the server-assigned keys every kind may carry.
var common = []string{"id", "created_at", "updated_at", "user"}

// unknownFields returns the sorted top-level keys of objs that the
// contract does not name for kind; nil for a kind it describes no fields of.
func unknownFields(kind string, objs []map[string]json.RawMessage) []string {
	names, ok := known[kind]
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, n := range append(names, common...) {
		set[n] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, o := range objs {
		for key := range o {
			if !set[key] && !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	sort.Strings(out)
	return out
}
