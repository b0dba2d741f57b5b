// Package doctor checks, read-only, that an Enspace server speaks the
// contract enspace-sync was built on, and says what to change in the
// configuration when it does not.
//
// For each configured workspace it checks the configuration (the workspace's
// environment, where its key comes from, the route overrides in effect),
// that the base URL answers (TLS included), that the key is accepted (401
// and 403 told apart), the key's scopes and workspaces from /user-api-keys,
// and then every kind's list and count route: the status, the list shape
// (a bare array or an envelope), whether page and limit are honoured (two
// small pages must differ), the count shape, the id type and the top-level
// fields the contract does not name. Then the largest page the server
// honours: the first page of the configured page_size from a collection
// whose count is larger; a shorter page is a cap, reported with the
// page_size to set ("page_size" check). Each check ends with a verdict (see
// the Verdict constants); a list route that answers 404 is retried under a
// few likely paths, and when one answers a list the report carries the
// exact route override to add.
//
// Caveats: only GET requests are sent, with pages of two objects and at
// most a handful of requests per route, so the checks see a sample: a
// shape that changes deep in a collection goes unseen. Children (fields,
// items, stages, ...) are checked under the first parents that have any.
// Whether the key may write is read from its scopes, never tried; when the
// key list holds several keys, the one in use cannot be told apart (the
// list never shows secrets) and the report says so.
package doctor
