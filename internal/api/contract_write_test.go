package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func TestContractWrites(t *testing.T) {
	contractWrites(t)
}

func contractWrites(t *testing.T) {
	needWrites(t)
	ctx := context.Background()
	e := newEnv(t, setup{})
	snap, err := walk(ctx, e, e.ws)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	d := demoIDs(&writer{t: t, e: e, ctx: ctx, snap: snap})
	analyst, carla, joao, finance := d.analyst, d.carla, d.joao, d.finance
	contract, contracts := d.contract, d.contracts

	// Each case creates, updates and deletes one object, reading it back
	// after every write.
	for _, tt := range []struct {
		kind           string
		parent         api.Object
		create, update string
		created        string // fields the created object has
		updated        string // fields it has after the update
	}{
		{
			kind:    "types",
			create:  `{"name":"Projects","slug":"projects","description":"Internal projects","icon":"folder","color":"#00897b","settings":{"board":true}}`,
			created: `{"name":"Projects","slug":"projects","description":"Internal projects","icon":"folder","color":"#00897b","settings":{"board":true}}`,
			update:  `{"description":"Projects we run","color":"#004d40"}`,
			updated: `{"name":"Projects","slug":"projects","description":"Projects we run","icon":"folder","color":"#004d40","settings":{"board":true}}`,
		},
		{
			kind: "fields", parent: contracts,
			// "config" and "order" are the spellings of the documentation
			// page's example; the answer has "options" and "position".
			create:  `{"name":"Notes","slug":"notes","type":"text","config":{"multiline":true},"order":12}`,
			created: `{"name":"Notes","slug":"notes","type":"text","required":false,"active":true,"defaultValue":null,"options":{"multiline":true},"position":12}`,
			update:  `{"name":"Remarks","position":3,"active":false,"defaultValue":"none"}`,
			updated: `{"name":"Remarks","slug":"notes","type":"text","active":false,"defaultValue":"none","options":{"multiline":true},"position":3}`,
		},
		{
			kind: "items", parent: contracts,
			create:  `{"data":{"number":"CT-9001","value":1250.5,"status":"draft","signed":false}}`,
			created: `{"type":"contracts","data":{"number":"CT-9001","value":1250.5,"status":"draft","signed":false}}`,
			update:  `{"data":{"status":"active","signed":true}}`,
			updated: `{"type":"contracts","data":{"number":"CT-9001","value":1250.5,"status":"active","signed":true}}`,
		},
		{
			kind:    "members",
			create:  fmt.Sprintf(`{"email":"paula.reis@acme.com","type":"standard","role":%s,"fname":"Paula","lname":"Reis"}`, analyst),
			created: fmt.Sprintf(`{"email":"paula.reis@acme.com","type":"standard","role":%s,"status":"active"}`, analyst),
			update:  `{"type":"viewer","status":"inactive","role":null}`,
			updated: `{"email":"paula.reis@acme.com","type":"viewer","role":null,"status":"inactive"}`,
		},
		{
			kind:    "roles",
			create:  `{"name":"Auditor","slug":"auditor","description":"Reads everything","permissions":[{"entity":"clients","action":"read","rules":{}}]}`,
			created: `{"name":"Auditor","slug":"auditor","description":"Reads everything"}`,
			update:  `{"name":"External auditor","description":"Reads invoices"}`,
			updated: `{"name":"External auditor","slug":"auditor","description":"Reads invoices"}`,
		},
		{
			kind:    "groups",
			create:  fmt.Sprintf(`{"name":"Operations","description":"Day to day","users":[%s]}`, joao),
			created: fmt.Sprintf(`{"name":"Operations","description":"Day to day","users":[%s]}`, joao),
			update:  fmt.Sprintf(`{"description":"Runs the office","users":[%s,%s]}`, carla, joao),
			updated: fmt.Sprintf(`{"name":"Operations","description":"Runs the office","users":[%s,%s]}`, carla, joao),
		},
		{
			kind: "quick-tasks",
			create: fmt.Sprintf(`{"title":"Call the client","description":"About the renewal","due_date":"2026-12-01",`+
				`"assignees":{"members":[%s],"groups":[%s]},"item":{"type":"contracts","id":%s}}`, joao, finance, contract.ID),
			created: fmt.Sprintf(`{"title":"Call the client","description":"About the renewal","status":"open","due_date":"2026-12-01",`+
				`"assignees":{"members":[%s],"groups":[%s]},"item":{"type":"contracts","id":%s}}`, joao, finance, contract.ID),
			update: `{"status":"done","due_date":null,"item":null}`,
			updated: fmt.Sprintf(`{"title":"Call the client","status":"done","due_date":null,`+
				`"assignees":{"members":[%s],"groups":[%s]},"item":null}`, joao, finance),
		},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			w := &writer{t: t, e: e, ctx: ctx, snap: snap}
			k := kindOf(t, tt.kind)
			pp, err := api.ParentParams(k, tt.parent)
			if err != nil {
				t.Fatal(err)
			}
			raw := w.do(k.Create, pp, tt.create)
			o, err := api.NewObject(k, pp[k.ParentParam], raw)
			if err != nil {
				t.Fatalf("create answer: %v", err)
			}
			hasFields(t, "create answer", decode(t, raw), tt.created)
			w.readBack("after create", k, tt.parent, o, tt.created)

			raw = w.do(k.Update, objectParams(t, k.Update, k, tt.parent, o), tt.update)
			hasFields(t, "update answer", decode(t, raw), tt.updated)
			w.readBack("after update", k, tt.parent, o, tt.updated)

			raw = w.do(k.Delete, objectParams(t, k.Delete, k, tt.parent, o), "")
			hasFields(t, "delete answer", decode(t, raw), `{"success":true}`)
			w.gone("after delete", k, tt.parent, o)
		})
	}

	for _, st := range []struct {
		name string
		fn   func(*writer, demo)
	}{
		{"roles with permissions replaced on update", writeRolePermissionsOnUpdate},
		{"tasks", writeTask},
		{"integrations keep their secrets", writeIntegrations},
		{"role permissions", writeRolePermissions},
		{"group users", writeGroupUsers},
	} {
		t.Run(st.name, func(t *testing.T) { st.fn(&writer{t: t, e: e, ctx: ctx, snap: snap}, d) })
	}

	if e.real() {
		return // what follows counts the fake's requests
	}
	// Every write route the kind table declares was served and answered 2xx.
	served := e.srv.Requests()
	for _, k := range kind.All() {
		routes := []string{k.Create, k.Update, k.Delete}
		for _, s := range k.Subs {
			routes = append(routes, s.List, s.Add, s.Remove)
		}
		for _, r := range routes {
			if r != "" && served.ByRoute[r] == 0 {
				t.Errorf("%s: route %s never served", k.Name, r)
			}
		}
	}
	for status, n := range served.ByStatus {
		if status != http.StatusOK && status != http.StatusNotFound {
			t.Errorf("%d answers with status %d", n, status)
		}
	}
}
