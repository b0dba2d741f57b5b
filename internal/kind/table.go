package kind

// The table: one entry per kind, in walk order. Adding a resource kind is
// adding an entry here (see Kind for what each column means).
var serverAssigned = []string{"id", "created_at", "updated_at", "user"}

var table = []*Kind{
	{
		Name: Workspace, Label: "workspace", Class: Configuration,
		Known: []string{"name", "slug", "icon"},
		Get:   "workspace.context", Singleton: true,
		IDField: "id", KeyField: "slug", NaturalKey: []string{"slug"},
		LabelFields:    []string{"name", "slug"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Stats, Label: "statistics", Class: Audit,
		Get: "workspace.stats", Singleton: true, Volatile: true,
	},
	{
		Name: Types, Label: "type", Class: Configuration,
		Prunable: true, Selector: "type",
		Known: []string{"name", "slug", "description", "icon", "color", "settings"},
		List:  "types.list", Count: "types.count", Get: "types.get",
		Create: "types.create", Update: "types.update", Delete: "types.delete",
		IDField: "id", KeyField: "slug", NaturalKey: []string{"slug"},
		LabelFields:    []string{"name", "slug"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Fields, Label: "field", Class: Configuration,
		Prunable: true, Selector: "field", SelectorField: "slug", SelectorTyped: true, SelectedWithParent: true,
		Known: []string{"name", "slug", "type", "required", "defaultValue", "options", "position", "active"},
		List:  "fields.list", Get: "fields.get",
		Create: "fields.create", Update: "fields.update", Delete: "fields.delete",
		Parent: Types, ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"slug"},
		LabelFields: []string{"name", "slug"},
		Refs: []Ref{
			{Path: "options.type", Kind: Types, By: ByKey, When: "relation field"},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Items, Label: "item", Class: Data,
		Selector: "item", SelectorTyped: true, SelectedWithParent: true,
		Known: []string{"type", "data"}, ApplyRank: 1, View: itemView,
		List: "items.list", Count: "items.count", Get: "items.get",
		Create: "items.create", Update: "items.update", Delete: "items.delete",
		Parent: Types, ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id",
		LabelFields: []string{"data.name", "data.title", "data.number", "id"},
		Refs: []Ref{
			{Path: "data.*", Kind: Items, By: ByID, When: "relation field"},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Forms, Label: "form", Class: Configuration,
		Selector: "form", ApplyLast: true,
		Known: []string{"type", "name", "fields"},
		List:  "forms.list", Get: "forms.get",
		Parent: Types, ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "type", Kind: Types, By: ByKey},
			{Path: "fields[]", Kind: Fields, By: ByKey, Ordered: true},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Flows, Label: "flow", Class: Configuration,
		Selector: "flow", ApplyLast: true, Drop: []string{"item_type"},
		Known: []string{"name", "status", "item_type", "start_type", "icon"},
		List:  "flows.list", Get: "flows.get",
		Parent: Types, ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields:    []string{"name"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Stages, Label: "stage", Class: Configuration,
		ApplyLast: true, Drop: []string{"flow", "tasks", "item_type"},
		// A stage embeds its tasks (the contract's Stage shape); they are
		// named by id, and their assignees are sets too.
		Unordered: []string{"tasks", "tasks[].assignees.members", "tasks[].assignees.roles", "tasks[].assignees.groups"},
		Known:     []string{"name", "status", "progress_type", "is_start", "hex_color", "icon", "item_type", "flow", "tasks"},
		List:      "stages.list", Get: "stages.get",
		Parent: Flows, ParentParam: "flow", ParentField: "id",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields:    []string{"name"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Tasks, Label: "task", Class: Configuration,
		ApplyLast: true,
		Known:     []string{"stage", "name", "action", "assignees", "integration", "form"},
		List:      "tasks.list", Get: "tasks.get", Create: "tasks.create",
		Parent: Stages, ParentParam: "stage", ParentField: "id",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "stage", Kind: Stages, By: ByID},
			{Path: "integration", Kind: Integrations, By: ByID},
			{Path: "form", Kind: Forms, By: ByID},
			{Path: "assignees.members[]", Kind: Members, By: ByID},
			{Path: "assignees.roles[]", Kind: Roles, By: ByID},
			{Path: "assignees.groups[]", Kind: Groups, By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: ScheduleTasks, Label: "schedule task", Class: Configuration,
		ApplyLast: true, TiedTo: Types, TiedPath: "type",
		Known: []string{"type", "name", "reference_field", "calculation_type", "calculation", "frequency"},
		List:  "schedule-tasks.list", Get: "schedule-tasks.get",
		IDField: "id", KeyField: "id", NaturalKey: []string{"type", "name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "type", Kind: Types, By: ByKey},
			{Path: "reference_field", Kind: Fields, By: ByKey},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Roles, Label: "role", Class: Configuration,
		Prunable: true, Selector: "role", SelectorField: "slug",
		Known: []string{"name", "slug", "description", "permissions"},
		List:  "roles.list", Count: "roles.count", Get: "roles.get",
		Create: "roles.create", Update: "roles.update", Delete: "roles.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"slug"},
		LabelFields: []string{"name", "slug"},
		Refs: []Ref{
			{Path: "permissions[].entity", Kind: Types, By: ByKey, When: "entity names a type"},
		},
		Subs: []Sub{{
			Field: "permissions", List: "roles.permissions.list",
			Add: "roles.permissions.add", Remove: "roles.permissions.remove",
		}},
		ServerAssigned: append(append([]string{}, serverAssigned...), "permissions[].id"),
	},
	{
		Name: Groups, Label: "member group", Class: People,
		ReplicateWithConfiguration: true, Prunable: true, Selector: "group", SelectorField: "name",
		Known: []string{"name", "description", "users"},
		List:  "groups.list", Get: "groups.get",
		Create: "groups.create", Update: "groups.update", Delete: "groups.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "users[]", Kind: Members, By: ByID},
		},
		Subs: []Sub{{
			Field: "users", Add: "groups.users.add", Remove: "groups.users.remove",
		}},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Members, Label: "member", Class: People,
		Selector: "member", SelectorField: "email", FoldKey: true,
		Known: []string{"email", "type", "role", "status"},
		View:  memberView, CreateBody: memberCreateBody,
		List: "members.list", Count: "members.count", Get: "members.get",
		Create: "members.create", Update: "members.update", Delete: "members.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"email"},
		LabelFields: []string{"email"},
		Refs: []Ref{
			{Path: "role", Kind: Roles, By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: QuickTasks, Label: "quick task", Class: Data,
		Selector: "quick-task", ApplyLast: true,
		Known: []string{"title", "description", "status", "due_date", "assignees", "item"},
		List:  "quick-tasks.list", Count: "quick-tasks.count", Get: "quick-tasks.get",
		Create: "quick-tasks.create", Update: "quick-tasks.update", Delete: "quick-tasks.delete",
		IDField: "id", KeyField: "id",
		LabelFields: []string{"title"},
		Refs: []Ref{
			{Path: "assignees.members[]", Kind: Members, By: ByID},
			{Path: "assignees.groups[]", Kind: Groups, By: ByID},
			{Path: "item.type", Kind: Types, By: ByKey},
			{Path: "item.id", Kind: Items, By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: Integrations, Label: "integration", Class: Configuration,
		Prunable: true, Selector: "integration", ApplyRank: -1,
		Known: []string{"data", "integration", "status"},
		View:  integrationView, CreateBody: integrationCreateBody,
		List: "integrations.list", Get: "integrations.get", Create: "integrations.create",
		IDField: "id", KeyField: "id", NaturalKey: []string{"integration.slug"},
		LabelFields:    []string{"integration.name", "integration.slug"},
		Secrets:        []string{"data.token", "data.api_key"},
		ServerAssigned: append(append([]string{}, serverAssigned...), "integration"),
	},
	{
		Name: APIKeys, Label: "API key", Class: Audit,
		Known:   []string{"description", "expires_at", "reference", "scope"},
		List:    "api-keys.list",
		IDField: "id", KeyField: "id",
		LabelFields:    []string{"description", "reference"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: RequestLogs, Label: "request log entry", Class: Audit,
		Known: []string{"method", "path", "status_code", "workspace"},
		List:  "request-logs.list", Volatile: true,
		IDField: "id", KeyField: "id",
		LabelFields:    []string{"path"},
		ServerAssigned: serverAssigned,
	},
}

// IntegrationSecretKeys are the keys of integration data that each
// provider needs and the API never returns (documented for Certisign and
// Sendgrid). Creating such an integration needs them from the operator.
var IntegrationSecretKeys = map[string][]string{
	"certisign": {"token"},
	"sendgrid":  {"api_key"},
}
