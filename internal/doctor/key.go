package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// apiKey is an entry of /user-api-keys, never a secret.
type apiKey struct {
	Description string `json:"description"`
	Reference   string `json:"reference"`
	Scope       struct {
		Global     []string `json:"global"`
		Workspaces []string `json:"workspaces"`
	} `json:"scope"`
}

func (k apiKey) String() string { return fmt.Sprintf("%q (reference %s)", k.Description, k.Reference) }

// allows reports whether the key may act in the workspace: an empty list
// means every workspace.
func (k apiKey) allows(slug string) bool {
	return len(k.Scope.Workspaces) == 0 || slices.Contains(k.Scope.Workspaces, slug)
}

func (k apiKey) has(scope string) bool { return slices.Contains(k.Scope.Global, scope) }

// checkKey reads the key's scopes and workspaces from the key list. A
// write is never tried: whether the key can write is what its scopes say.
func (r *runner) checkKey(ctx context.Context) {
	body, err := r.c.Page(ctx, "api-keys.list", "", nil, 1, api.MaxPageSize)
	if err != nil {
		verdict, detail := classify("api-keys.list", err)
		r.add("key", verdict, detail)
		return
	}
	keys, err := decodeKeys(body)
	if err != nil {
		r.add("key", VerdictError, err.Error())
		return
	}
	r.add(keyVerdict(keys, r.ws.Slug))
}

func decodeKeys(body []byte) ([]apiKey, error) {
	lp, err := api.DecodeList(body, "")
	if err != nil {
		return nil, fmt.Errorf("key list: %w", err)
	}
	keys := make([]apiKey, 0, len(lp.Items))
	for i, raw := range lp.Items {
		var k apiKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return nil, fmt.Errorf("key list: element %d: %w: %v", i, api.ErrInvalidBody, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// keyVerdict judges the key list for a workspace: the route name of the
// check, its verdict and detail.
func keyVerdict(keys []apiKey, slug string) (string, string, string) {
	switch len(keys) {
	case 0:
		return "key", VerdictOK, "the key list is empty: scopes unknown"
	case 1:
		k := keys[0]
		ws := "all workspaces"
		if len(k.Scope.Workspaces) > 0 {
			ws = "workspaces " + strings.Join(k.Scope.Workspaces, ", ")
		}
		detail := fmt.Sprintf("key %s: scopes %s; %s", k, strings.Join(k.Scope.Global, ", "), ws)
		switch {
		case !k.allows(slug):
			return "key", VerdictNoWorkspace, fmt.Sprintf("%s; not %s", detail, slug)
		case !k.has("read"):
			return "key", ForbiddenScope("read"), detail
		case k.has("write") && k.has("delete"):
			return "key", VerdictOK, detail + "; can write: restore and replicate into " + slug + " are possible"
		case k.has("write"):
			return "key", VerdictOK, detail + "; can write but not delete: restore and replicate cannot remove objects"
		}
		return "key", VerdictOK, detail + "; read-only: backups work, restore and replicate need write and delete"
	}
	var writers []string
	for _, k := range keys {
		if k.allows(slug) && k.has("write") {
			s := k.String()
			if k.has("delete") {
				s += " write+delete"
			} else {
				s += " write"
			}
			writers = append(writers, s)
		}
	}
	w := "none"
	if len(writers) > 0 {
		w = strings.Join(writers, "; ")
	}
	return "key", VerdictOK, fmt.Sprintf("%d keys listed: the key in use cannot be identified (the list shows no secrets); keys that can write in %s: %s",
		len(keys), slug, w)
}
