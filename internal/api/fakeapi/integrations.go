package fakeapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// catalogueEntry is an integration type of the Enspace catalogue.
type catalogueEntry struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Category    string   `json:"category"`
	Slug        string   `json:"slug"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	Media       []string `json:"media"`
}

// catalogueStamp is the catalogue's timestamp on the documentation page.
var catalogueStamp = time.Date(2025, 6, 17, 15, 40, 10, 353e6, time.UTC).UnixMilli()

// catalogue is the documented list of integration types.
var catalogue = map[int64]catalogueEntry{}

func init() {
	for _, e := range []struct {
		id         int64
		name, slug string
	}{
		{1, "Certisign", "certisign"}, {3, "D4Sign", "d4sign"}, {4, "Sendgrid", "sendgrid"},
		{5, "Clicksign", "clicksign"}, {6, "Whatsapp Twilio", "whatsapp-twilio"}, {8, "Docusign", "docusign"},
	} {
		catalogue[e.id] = catalogueEntry{ID: e.id, Name: e.name, Slug: e.slug,
			Description: "integrations." + e.slug + ".description", Category: "integrations." + e.slug + ".category",
			CreatedAt: stamp(catalogueStamp), UpdatedAt: stamp(catalogueStamp), Media: []string{}}
	}
}

// secretKeys are the keys of integration data that are stored and never
// returned.
var secretKeys = []string{"token", "api_key"}

// maskedSecretKeys are further secret keys, of providers the contract does
// not document, kept as secrets under Options.MaskSecrets.
var maskedSecretKeys = []string{"api_token", "auth_token", "client_secret"}

// integration is a configured integration of the workspace.
type integration struct {
	id        int64
	catalogue int64
	data      json.RawMessage            // without secrets
	secrets   map[string]json.RawMessage // token, api_key
	status    string
	created   int64
	updated   int64
}

type integrationView struct {
	ID          int64           `json:"id"`
	Data        json.RawMessage `json:"data"`
	Integration catalogueEntry  `json:"integration"`
	Status      string          `json:"status"`
	CreatedAt   string          `json:"created_at"`
	UpdatedAt   string          `json:"updated_at"`
}

func (g *integration) view(mask bool) integrationView {
	data := g.data
	if mask && len(g.secrets) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(g.data, &m) == nil {
			for k, v := range g.secrets {
				var sv string
				_ = json.Unmarshal(v, &sv)
				if len(sv) > 8 {
					sv = sv[len(sv)-4:]
				} else {
					sv = ""
				}
				m[k] = marshal("****" + sv)
			}
			data = marshal(m)
		}
	}
	return integrationView{ID: g.id, Data: data, Integration: catalogue[g.catalogue], Status: g.status,
		CreatedAt: stamp(g.created), UpdatedAt: stamp(g.updated)}
}

// splitSecrets separates the secret keys from integration data, with the
// maskedSecretKeys too when masked.
func splitSecrets(data map[string]json.RawMessage, masked bool) (json.RawMessage, map[string]json.RawMessage) {
	secrets := map[string]json.RawMessage{}
	keys := secretKeys
	if masked {
		keys = append(append([]string{}, secretKeys...), maskedSecretKeys...)
	}
	for _, k := range keys {
		if v, ok := data[k]; ok {
			secrets[k] = v
			delete(data, k)
		}
	}
	return marshal(data), secrets
}

// newIntegration validates a create body {"integration": id, "data": {...}}.
func (w *Workspace) newIntegration(in *input, now int64) (*integration, resp, bool) {
	id, ok := in.integer("integration")
	if !ok && len(in.errs) == 0 {
		in.errorf("integration should not be empty")
	}
	var data map[string]json.RawMessage
	if raw, ok := in.object("data"); ok {
		if json.Unmarshal(raw, &data) != nil {
			in.errorf("data must be an object")
		}
	}
	if data == nil {
		data = map[string]json.RawMessage{}
	}
	if env, ok := data["environment"]; ok {
		var s string
		if json.Unmarshal(env, &s) != nil || (s != "stage" && s != "production") {
			in.errorf("data.environment must be one of the following values: stage, production")
		}
	}
	if res, bad := in.failed(); bad {
		return nil, res, false
	}
	if _, known := catalogue[id]; !known {
		return nil, badRequest(fmt.Sprintf("Integration %d does not exist", id)), false
	}
	clean, secrets := splitSecrets(data, w.srv.opts.MaskSecrets)
	g := &integration{id: w.srv.next(seqIntegration), catalogue: id, data: clean, secrets: secrets,
		status: "active", created: now, updated: now}
	w.integrations = append(w.integrations, g)
	return g, resp{}, true
}

func integrationsList(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	return listOf(c, c.ws.integrations, func(g *integration) any { return g.view(c.s.opts.MaskSecrets) })
}

func integrationsGet(c *call) resp {
	c.ws.mu.RLock()
	defer c.ws.mu.RUnlock()
	id, res, ok := parseID(c.params["id"])
	if !ok {
		return res
	}
	g := find(c.ws.integrations, id, func(g *integration) int64 { return g.id })
	if g == nil {
		return notFound(fmt.Sprintf("Integration %d not found", id))
	}
	return ok200(g.view(c.s.opts.MaskSecrets))
}

func integrationsCreate(c *call) resp {
	in, res, ok := parseBody(c.body)
	if !ok {
		return res
	}
	c.ws.mu.Lock()
	defer c.ws.mu.Unlock()
	g, res, ok := c.ws.newIntegration(in, c.now)
	if !ok {
		return res
	}
	return ok200(g.view(c.s.opts.MaskSecrets))
}
