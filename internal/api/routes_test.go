package api

import (
	"strings"
	"testing"
)

func TestRouteBuild(t *testing.T) {
	r := DefaultRoutes()
	cases := []struct {
		route  string
		params map[string]string
		want   string
	}{
		{"types.list", nil, "/ws/types"},
		{"items.get", map[string]string{"type": "contracts", "id": "1001"}, "/ws/types/contracts/items/1001"},
		{"items.list", map[string]string{"type": "a b/c"}, "/ws/types/a%20b%2Fc/items"},
		{"flows.list", map[string]string{"type": "a&b"}, "/c-flows?type=a%26b"},
		{"roles.permissions.remove", map[string]string{"id": "5", "permission": "31"}, "/ws/roles/5/permissions/31"},
	}
	for _, c := range cases {
		got, err := r[c.route].Build(c.params)
		if err != nil || got != c.want {
			t.Errorf("%s.Build(%v) = %q, %v; want %q", c.route, c.params, got, err, c.want)
		}
	}
	if _, err := r["items.get"].Build(map[string]string{"type": "x"}); err == nil || !strings.Contains(err.Error(), "{id}") {
		t.Errorf("missing placeholder error = %v", err)
	}
}

func TestRouteOverrides(t *testing.T) {
	base := DefaultRoutes()
	got, err := base.WithOverrides(map[string]string{
		"items.list":    "/ws/types/{type}/records",
		"types.update":  "patch /ws/types/{type}",
		"members.count": "/ws/members/total",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["items.list"].Path != "/ws/types/{type}/records" || got["types.update"].Method != "PATCH" {
		t.Errorf("overrides not applied: %+v %+v", got["items.list"], got["types.update"])
	}
	if base["items.list"].Path != "/ws/types/{type}/items" {
		t.Error("WithOverrides changed the table it was called on")
	}
	if !got["items.list"].Workspace {
		t.Error("an override must keep the route's workspace scope")
	}
	for _, c := range []struct{ name, value, want string }{
		{"item.list", "/x", "routes.item.list: unknown route name"},
		{"types.list", "ws/types", "must start with /"},
		{"fields.list", "/ws/types/{kind}/fields", "placeholder {kind} is not known"},
		{"types.get", "FETCH /ws/types/{type}", "unknown method"},
	} {
		_, err := base.WithOverrides(map[string]string{c.name: c.value})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("override %s=%q: error %v, want it to contain %q", c.name, c.value, err, c.want)
		}
	}
}
