package api

import "context"

// countHookKey carries a CountHook in a context.
type countHookKey struct{}

// CountHook hears the count of a collection before it is paged: the kind
// and the count route's answer. List calls it once per counted listing,
// from the listing's goroutine.
type CountHook func(kind string, n int)

// WithCountHook returns ctx with hook, which every List under ctx calls
// with its collection's count. A backup's progress line sums the counts
// into the total it shows when there is no earlier snapshot to go by.
func WithCountHook(ctx context.Context, hook CountHook) context.Context {
	return context.WithValue(ctx, countHookKey{}, hook)
}

// heardCount tells ctx's CountHook, if any, the count of kind.
func heardCount(ctx context.Context, kind string, n int) {
	if hook, ok := ctx.Value(countHookKey{}).(CountHook); ok && hook != nil {
		hook(kind, n)
	}
}
