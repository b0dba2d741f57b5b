package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// writeRolePermissionsOnUpdate creates a role with a permission and
// replaces its permissions through the role's update.
func writeRolePermissionsOnUpdate(w *writer, d demo) {
	t := w.t
	k := kindOf(t, "roles")
	raw := w.do(k.Create, nil, `{"name":"Reviewer","permissions":[{"entity":"contracts","action":"read"}]}`)
	o, err := api.NewObject(k, "", raw)
	if err != nil {
		t.Fatal(err)
	}
	m := w.readBack("after create", k, api.Object{}, o, `{"name":"Reviewer","slug":"reviewer"}`)
	perms := m["permissions"].([]any)
	if len(perms) != 1 {
		t.Fatalf("permissions %v", perms)
	}
	hasFields(t, "permission", perms[0].(map[string]any), `{"entity":"contracts","action":"read","rules":{}}`)
	w.do(k.Update, objectParams(t, k.Update, k, api.Object{}, o), `{"permissions":[{"entity":"invoices","action":"update","rules":{"only_own":true}}]}`)
	m = w.readBack("after update", k, api.Object{}, o, `{"name":"Reviewer"}`)
	perms = m["permissions"].([]any)
	if len(perms) != 1 {
		t.Fatalf("permissions %v", perms)
	}
	hasFields(t, "permission", perms[0].(map[string]any), `{"entity":"invoices","action":"update","rules":{"only_own":true}}`)
}

// writeTask creates a task, the only write tasks have, in a stage.
func writeTask(w *writer, d demo) {
	t, snap := w.t, w.snap
	analyst, carla, finance := d.analyst, d.carla, d.finance
	k := kindOf(t, "tasks")
	if k.Update != "" || k.Delete != "" {
		t.Fatalf("the table declares tasks update %q and delete %q; the contract has create only", k.Update, k.Delete)
	}
	stage := snap.objs["stages"][0].obj
	body := fmt.Sprintf(`{"stage":%s,"name":"Notify finance","action":"notify","assignees":{"members":[%s],"roles":[%s],"groups":[%s]}}`,
		stage.ID, carla, analyst, finance)
	raw := w.do(k.Create, nil, body)
	o, err := api.NewObject(k, stage.ID, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"stage":%s,"name":"Notify finance","action":"notify","assignees":{"members":[%s],"roles":[%s],"groups":[%s]},"integration":null,"form":null}`,
		stage.ID, carla, analyst, finance)
	hasFields(t, "create answer", decode(t, raw), want)
	w.readBack("after create", k, stage, o, want)
	// The stage's embedded tasks show it too.
	st, err := w.get(kindOf(t, "stages"), snap.objs["stages"][0].parent, stage)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st.Raw), `"name":"Notify finance"`) {
		t.Errorf("stage %s does not embed the new task: %s", stage.ID, st.Raw)
	}
}

// writeIntegrations creates integrations with their secrets, which no
// later answer may hold.
func writeIntegrations(w *writer, d demo) {
	t, e, ctx := w.t, w.e, w.ctx
	k := kindOf(t, "integrations")
	secrets := map[string]string{} // path -> planted value
	for i, path := range k.Secrets {
		secrets[path] = fmt.Sprintf("planted-secret-%d-QmV4", i)
	}
	mark := e.rec.len()
	for _, tt := range []struct {
		catalogue int
		data      string
		secret    string
	}{
		{1, `"environment":"stage","changeKeys":true,"webhookCatcherEndpoint":"https://hooks.acme.com/x"`, "data.token"},
		{4, `"environment":"production","from_email":"ops@acme.com","from_name":"Acme Ops"`, "data.api_key"},
	} {
		name := strings.TrimPrefix(tt.secret, "data.")
		body := fmt.Sprintf(`{"integration":%d,"data":{%s,%q:%q}}`, tt.catalogue, tt.data, name, secrets[tt.secret])
		raw := w.do(k.Create, nil, body)
		o, err := api.NewObject(k, "", raw)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`{"data":{%s},"status":"active"}`, tt.data)
		m := w.readBack(fmt.Sprintf("integration %d", tt.catalogue), k, api.Object{}, o, want)
		if got := m["integration"].(map[string]any)["id"]; got != float64(tt.catalogue) {
			t.Errorf("integration type %v, want %d", got, tt.catalogue)
		}
	}
	if len(secrets) != 2 {
		t.Fatalf("the table declares secrets %v", k.Secrets)
	}
	// Every later read, of every kind, never holds a secret.
	if _, err := walk(ctx, e, e.ws); err != nil {
		t.Fatal(err)
	}
	later := e.rec.exchanges(mark)
	gets := 0
	for _, x := range later {
		if x.method == http.MethodGet {
			gets++
		}
		for path, s := range secrets {
			if strings.Contains(string(x.body), s) {
				t.Errorf("%s %s answered the secret %s", x.method, x.path, path)
			}
		}
	}
	if gets < 50 {
		t.Errorf("only %d GETs after the creates", gets)
	}
}

// writeRolePermissions adds a permission to a role and removes it, through
// the role's sub-collection routes.
func writeRolePermissions(w *writer, d demo) {
	t := w.t
	analyst := d.analyst
	k := kindOf(t, "roles")
	sub := k.Subs[0]
	role := api.Object{Kind: "roles", ID: analyst, Key: analyst}
	before := len(w.readBack("before", k, api.Object{}, role, `{"slug":"analyst"}`)["permissions"].([]any))
	raw := w.do(sub.Add, map[string]string{"id": analyst}, `{"entity":"invoices","action":"read","rules":{"only_own":true}}`)
	perm := decode(t, raw)
	hasFields(t, "add answer", perm, `{"entity":"invoices","action":"read","rules":{"only_own":true}}`)
	pid := fmt.Sprint(perm["id"])
	after := w.readBack("after add", k, api.Object{}, role, `{"slug":"analyst"}`)[sub.Field].([]any)
	if len(after) != before+1 || !reflect.DeepEqual(after[len(after)-1], perm) {
		t.Errorf("permissions after add: %v, want %d ending with %v", after, before+1, perm)
	}
	page, err := api.DecodeList(w.do(sub.List, map[string]string{"id": analyst}, ""), "id")
	if err != nil || len(page.Items) != before+1 || !reflect.DeepEqual(decode(t, page.Items[before]), perm) {
		t.Errorf("%s: %d permissions, %v", sub.List, len(page.Items), err)
	}
	w.do(sub.Remove, map[string]string{"id": analyst, "permission": pid}, "")
	after = w.readBack("after remove", k, api.Object{}, role, `{"slug":"analyst"}`)[sub.Field].([]any)
	if len(after) != before {
		t.Errorf("permissions after remove: %v", after)
	}
	for _, p := range after {
		if fmt.Sprint(p.(map[string]any)["id"]) == pid {
			t.Errorf("permission %s still there", pid)
		}
	}
}

// writeGroupUsers adds a member to a group and removes another.
func writeGroupUsers(w *writer, d demo) {
	t := w.t
	joao, finance := d.joao, d.finance
	k := kindOf(t, "groups")
	sub := k.Subs[0]
	group := api.Object{Kind: "groups", ID: finance, Key: finance}
	members := w.readBack("before", k, api.Object{}, group, `{"name":"Finance"}`)[sub.Field].([]any)
	if len(members) != 2 {
		t.Fatalf("Finance has users %v", members)
	}
	users := func(what string) []string {
		var out []string
		for _, u := range w.readBack(what, k, api.Object{}, group, `{"name":"Finance"}`)[sub.Field].([]any) {
			out = append(out, fmt.Sprint(u))
		}
		sort.Strings(out)
		return out
	}
	was := []string{fmt.Sprint(members[0]), fmt.Sprint(members[1])}
	w.do(sub.Add, map[string]string{"id": finance}, fmt.Sprintf(`{"users":[%s]}`, joao))
	if got, want := users("after add"), sorted(was[0], was[1], joao); !reflect.DeepEqual(got, want) {
		t.Errorf("users after adding %s: %v, want %v", joao, got, want)
	}
	w.do(sub.Remove, map[string]string{"id": finance}, fmt.Sprintf(`{"users":[%s]}`, was[0]))
	if got, want := users("after remove"), sorted(was[1], joao); !reflect.DeepEqual(got, want) {
		t.Errorf("users after removing %s: %v, want %v", was[0], got, want)
	}
}
