package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// strangerKey is a well-formed key the servers of the suite do not know.
var strangerKey = api.Secret("en.StrangerContractKey" + strings.Repeat("3", 15))

// TestContractErrors checks that the documented errors reach the caller
// as *api.Error with the server's exact status and messages, and that no
// error text holds a key.
func TestContractErrors(t *testing.T) {
	skipIfReal(t, "it needs keys with chosen scopes and workspaces, and deletes in the workspace; the built-in fake plays them")
	ctx := context.Background()
	acmeOnly := fakeapi.Options{APIKeys: []fakeapi.Key{{Secret: plantedKey.Reveal(), Scopes: allScopes, Workspaces: []string{"acme"}}}}
	// A route table that forgets that types.list acts in a workspace, so
	// the request goes out without en-workspace.
	noHeader := api.DefaultRoutes()
	rt := noHeader["types.list"]
	rt.Workspace = false
	noHeader["types.list"] = rt

	owner := func(t *testing.T, e *env) string {
		t.Helper()
		var id string
		if _, err := e.c.List(ctx, kindOf(t, "members"), "acme", api.Object{}, func(objs []api.Object) error {
			for _, o := range objs {
				if decode(t, o.Raw)["type"] == "owner" {
					id = o.ID
				}
			}
			return nil
		}); err != nil || id == "" {
			t.Fatalf("owner %q: %v", id, err)
		}
		return id
	}

	for _, tt := range []struct {
		name   string
		setup  setup
		call   func(t *testing.T, e *env) error
		status int
		error  string
		msgs   []string
		body   string // the documented body, when there is one
	}{
		{
			name:  "wrong key",
			setup: setup{key: strangerKey},
			call: func(t *testing.T, e *env) error {
				_, err := e.c.List(ctx, kindOf(t, "types"), "acme", api.Object{}, func([]api.Object) error { return nil })
				return err
			},
			status: 401, error: "Unauthorized", msgs: []string{"Invalid or missing API key"}, body: api.BodyUnauthorized,
		},
		{
			name:  "wrong key, user route",
			setup: setup{key: strangerKey},
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "api-keys.list", "", nil, nil)
				return err
			},
			status: 401, error: "Unauthorized", msgs: []string{"Invalid or missing API key"}, body: api.BodyUnauthorized,
		},
		{
			name:  "workspace the key does not allow",
			setup: setup{fake: acmeOnly},
			call: func(t *testing.T, e *env) error {
				if _, err := e.c.Get(ctx, kindOf(t, "workspace"), "acme", nil); err != nil {
					t.Fatalf("acme itself: %v", err)
				}
				_, err := e.c.Get(ctx, kindOf(t, "workspace"), "acme-stage", nil)
				return err
			},
			status: 403, error: "Forbidden", msgs: []string{"Token not authorized for this workspace"}, body: api.BodyForbidden,
		},
		{
			name:  "missing en-workspace",
			setup: setup{routes: noHeader},
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "types.list", "acme", nil, nil)
				return err
			},
			status: 400, error: "Bad Request", msgs: []string{"Missing required header: en-workspace"}, body: api.BodyMissingWorkspace,
		},
		{
			name: "item without its required field",
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "items.create", "acme", map[string]string{"type": "contracts"},
					json.RawMessage(`{"data":{"value":10}}`))
				return err
			},
			status: 400, error: "Bad Request", msgs: []string{"data.number should not be empty"},
		},
		{
			name: "item with an unknown field and without its required one",
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "items.create", "acme", map[string]string{"type": "contracts"},
					json.RawMessage(`{"data":{"colour":"red"}}`))
				return err
			},
			status: 400, error: "Bad Request",
			msgs: []string{`data.colour is not a field of type "contracts"`, "data.number should not be empty"},
		},
		{
			name: "owner removed",
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "members.delete", "acme", map[string]string{"id": owner(t, e)}, nil)
				return err
			},
			status: 400, error: "Bad Request", msgs: []string{"The workspace owner cannot be removed"},
		},
		{
			name: "owner changed",
			call: func(t *testing.T, e *env) error {
				_, err := e.c.Do(ctx, "members.update", "acme", map[string]string{"id": owner(t, e)},
					json.RawMessage(`{"type":"standard"}`))
				return err
			},
			status: 400, error: "Bad Request", msgs: []string{"The workspace owner cannot be changed"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.setup)
			err := tt.call(t, e)
			noKey(t, err, strangerKey)
			if err == nil {
				t.Fatal("no error")
			}
			ae := apiError(t, err)
			if ae.StatusCode != tt.status || ae.Status != tt.error || !reflect.DeepEqual(ae.Messages, tt.msgs) {
				t.Errorf("got %d %q %q, want %d %q %q", ae.StatusCode, ae.Status, ae.Messages, tt.status, tt.error, tt.msgs)
			}
			if want := fmt.Sprintf("%d %s: %s", tt.status, tt.error, strings.Join(tt.msgs, "; ")); !strings.Contains(err.Error(), want) {
				t.Errorf("error text %q does not say %q", err, want)
			}
			if tt.body != "" {
				if parsed := api.ParseError(tt.status, []byte(tt.body)); !reflect.DeepEqual(parsed.Messages, ae.Messages) || parsed.Status != ae.Status {
					t.Errorf("the documented body parses to %+v, the answer to %+v", parsed, ae)
				}
			}
			// A client error is not retried.
			if st := e.c.Stats(); st.Retries != 0 {
				t.Errorf("%d retries of a %d", st.Retries, tt.status)
			}
			if st := e.c.Stats(); st.ByStatus[tt.status] != 1 {
				t.Errorf("answers by status %v, want one %d", st.ByStatus, tt.status)
			}
		})
	}

	t.Run("owner still there", func(t *testing.T) {
		e := newEnv(t, setup{})
		id := owner(t, e)
		_, err := e.c.Do(ctx, "members.delete", "acme", map[string]string{"id": id}, nil)
		if api.StatusOf(err) != http.StatusBadRequest {
			t.Fatalf("delete owner: %v", err)
		}
		if got := owner(t, e); got != id {
			t.Errorf("owner %q after a refused delete, was %q", got, id)
		}
	})
}
