package api

import "github.com/enspace-sync/enspace-sync/internal/kind"

// The kind table lives in package kind. What follows forwards to it for
// cmd/enspace-sync until its use cases move to internal/app; new code
// imports kind.

// Kind is a kind of Enspace resource.
//
// Deprecated: use kind.Kind.
type Kind = kind.Kind

// Audit is the class of read-only kinds.
//
// Deprecated: use kind.Audit.
const Audit = kind.Audit

// Kinds returns every kind in walk order.
//
// Deprecated: use kind.All.
func Kinds() []*Kind { return kind.All() }

// KindByName returns the kind with the given name or singular label.
//
// Deprecated: use kind.ByName.
func KindByName(name string) (*Kind, error) { return kind.ByName(name) }
