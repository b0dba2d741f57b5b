package doctor

import (
	"encoding/json"
	"slices"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// common are the server-assigned keys every kind may carry.
var common = []string{"id", "created_at", "updated_at", "user"}

// unknownFields returns the sorted top-level keys of objs that the
// contract (enspace-api.md, section 4) does not name for the kind (its
// Known column, besides the server-assigned id, created_at, updated_at and
// user); nil for a kind it describes no fields of. Other keys are
// reported, not refused: a snapshot stores objects as received.
func unknownFields(name kind.Name, objs []map[string]json.RawMessage) []string {
	k := kind.Of(name)
	if k == nil || len(k.Known) == 0 {
		return nil
	}
	names := k.Known
	set := map[string]bool{}
	for _, n := range slices.Concat(names, common) {
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
