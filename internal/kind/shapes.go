package kind

import "strings"

// The body shapes of the kinds whose writes are not their objects' fields.

// itemView: an item is written as its data.
func itemView(_ *Kind, m map[string]any) map[string]any {
	return map[string]any{"data": m["data"]}
}

// memberView: the e-mail is the key (matched without regard to case); the
// API cannot change it.
func memberView(_ *Kind, m map[string]any) map[string]any {
	return map[string]any{"type": m["type"], "role": m["role"], "status": m["status"]}
}

// memberCreateBody: an invitation, with the person's names when known; a
// status other than active is set by an update right after the create.
func memberCreateBody(_ *Kind, m, _ map[string]any) map[string]any {
	body := map[string]any{"email": m["email"], "type": m["type"]}
	if m["role"] != nil {
		body["role"] = m["role"]
	}
	if user, ok := m["user"].(map[string]any); ok {
		if meta, ok := user["meta"].(map[string]any); ok {
			for _, f := range []string{"fname", "lname"} {
				if s, _ := meta[f].(string); s != "" {
					body[f] = s
				}
			}
		}
	}
	if st, _ := m["status"].(string); st != "" && st != "active" {
		body["status"] = st
	}
	return body
}

// integrationView: the catalogue entry's slug and the data the API
// returns (secrets are never read back), without the values a server
// masked (Masked), at any depth (DropMasked): a mask is never written
// back nor compared, whatever the provider; restore asks the operator for such a key as for a secret.
func integrationView(k *Kind, m map[string]any) map[string]any {
	data, _ := m["data"].(map[string]any)
	for _, s := range k.Secrets {
		if after, ok := strings.CutPrefix(s, "data."); ok {
			delete(data, after)
		}
	}
	DropMasked(data) // nested ones too: data.credentials.client_secret
	provider := ""
	if in, ok := m["integration"].(map[string]any); ok {
		provider, _ = in["slug"].(string)
	}
	return map[string]any{"provider": provider, "data": data}
}

// integrationCreateBody: the catalogue entry's id and the data.
func integrationCreateBody(_ *Kind, m, view map[string]any) map[string]any {
	var id any
	if in, ok := m["integration"].(map[string]any); ok {
		id = in["id"]
	}
	return map[string]any{"integration": id, "data": view["data"]}
}
