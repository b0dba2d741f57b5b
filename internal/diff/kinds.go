package diff

import "github.com/enspace-sync/enspace-sync/internal/kind"

// Kinds returns what diff needs to know of every kind of the kind table,
// by name: labels, parent, table order, server-assigned fields and the
// lists whose order the API does not promise (kind.Kind.UnorderedPaths).
func Kinds() map[kind.Name]KindInfo {
	out := map[kind.Name]KindInfo{}
	for i, k := range kind.All() {
		out[k.Name] = KindInfo{
			Name: k.Name, Label: k.Label, Parent: k.Parent, Order: i,
			LabelFields: k.LabelFields, ServerAssigned: k.ServerAssigned,
			Unordered: k.UnorderedPaths(), Volatile: k.Volatile,
		}
	}
	return out
}
