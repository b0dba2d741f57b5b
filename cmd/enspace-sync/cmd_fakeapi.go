package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

func init() {
	register(&command{
		name:    "fake-api",
		summary: "serve an in-memory Enspace API: demo data, fault injection",
		usage:   "enspace-sync fake-api [--listen ADDR] [--data demo|empty] [--items N] [shape flags] [fault flags]",
		help: `Serves an in-memory Enspace API that follows the contract enspace-sync is
built on (error texts, paging, counts, secrets never returned), with
deterministic demo data and optional faults. Use it to try enspace-sync, to
test scripts, and to measure backups under latency and faults.

The demo data has two workspaces: "acme" (production) and "acme-stage",
whose configuration is ahead. The API key is fixed and printed on start
(override it with --api-key). Stop the server with Ctrl-C.

--fault-rate R is a shortcut: it sets the share of requests that fail with
a retryable fault to R, split evenly between 429, 5xx, connection resets
and truncated bodies. The specific --rate-* flags override that split.

Shape flags play a server that differs from the contract, to try
enspace-sync doctor and route overrides: --envelope, --no-count,
--count-status 400, --page-cap N, --ignore-paging, --null-empty-lists (an
empty page answered as null), --count-as string|float (counts spelled "3"
or 3.0), and --move ROUTE=PATH (repeatable) to serve a route under another
path (--move types.list=/c-types; --move items.count=none serves no count
route), --past-end last-page (a page past the last answered as the last
page again), --extra-fields (objects carry a read-only field the contract
does not name, refused on write), --writable-extra (types carry a writable
"notes" the contract does not name), --omit-nulls (null members left out),
--delete-no-content (deletes answer 204) and --gzip (compressed answers).
Answers of --extra-fields and --omit-nulls have their keys sorted, another
order than the default's. --clock-skew D with --retry-after-date plays a
server whose clock is off from the machine's: its Retry-After dates are on
its own clock, as are its Date headers.

Examples:
  enspace-sync fake-api --data demo
  curl -H 'x-api-key: en.demo000000000000000000000000000000' \
      -H 'en-workspace: acme' http://127.0.0.1:8090/ws/types
  enspace-sync fake-api --items 100000 --latency 20ms --json
  enspace-sync fake-api --fault-rate 0.1 --seed 7`,
		run: runFakeAPI,
	})
}

// fakeAPIOptions are fake-api's flags.
type fakeAPIOptions struct {
	listen, apiKey              string
	server                      fakeapi.Options // what the flags set directly
	fault                       fakeapi.Faults  // what the flags set directly
	faultRate                   float64
	rate429, rate5xx, rateReset float64
	rateTruncate                float64
	asJSON                      bool
	clockSkew                   time.Duration
	moved                       stringList
}

func runFakeAPI(ctx context.Context, m *Main, args []string) error {
	cmd := commands["fake-api"]
	fs := newFlags(cmd)
	var f fakeAPIOptions
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8090", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&f.apiKey, "api-key", fakeapi.DemoAPIKey, "the API key the server accepts, with every scope on every workspace")
	fs.StringVar(&f.server.Data, "data", "demo", "initial data: demo or empty")
	fs.IntVar(&f.server.Items, "items", 0, "items per type in the demo data (0 = the demo's own numbers)")
	fs.Int64Var(&f.server.Seed, "seed", 1, "seed of the data generator and of fault decisions")
	fs.DurationVar(&f.fault.Latency, "latency", 0, "delay added to every request")
	fs.DurationVar(&f.fault.Jitter, "jitter", 0, "random extra delay, 0 to this much, per request")
	fs.Float64Var(&f.faultRate, "fault-rate", 0, "share of requests (0..1) failing with a retryable fault, split evenly between 429, 5xx, resets and truncated bodies")
	fs.Float64Var(&f.rate429, "rate-429", -1, "share of requests answered 429 Too Many Requests (-1 = from --fault-rate)")
	fs.Float64Var(&f.rate5xx, "rate-5xx", -1, "share answered 500, 502 or 503 (-1 = from --fault-rate)")
	fs.Float64Var(&f.rateReset, "rate-reset", -1, "share whose connection is reset mid-body (-1 = from --fault-rate)")
	fs.Float64Var(&f.rateTruncate, "rate-truncate", -1, "share whose body is cut short (-1 = from --fault-rate)")
	fs.Float64Var(&f.fault.RateHTML, "rate-html", 0, "share answered 200 with an HTML page")
	fs.Float64Var(&f.fault.RateDrift, "rate-drift", 0, "share of item page requests before which an item is inserted or deleted")
	fs.Float64Var(&f.fault.RateLostWrite, "rate-lost-write", 0, "share of writes applied and then answered 500 or dropped")
	fs.IntVar(&f.fault.LostWriteStatus, "lost-write-status", 0, "answer every lost write with `STATUS` (503: a gateway that gave up, without Retry-After) instead of 500 or a dropped connection")
	fs.StringVar(&f.fault.LostWriteMethod, "lost-write-method", "", "lose only writes of this `METHOD` (POST: creates)")
	fs.Float64Var(&f.fault.RetryAfterShare, "retry-after-share", 0.5, "share of 429 and 503 answers that carry Retry-After")
	fs.DurationVar(&f.fault.RetryAfter, "retry-after", time.Second, "the Retry-After value sent")
	fs.BoolVar(&f.fault.RetryAfterDate, "retry-after-date", false, "send Retry-After as an HTTP date (with a Date header on the server's clock) instead of seconds")
	fs.DurationVar(&f.clockSkew, "clock-skew", 0, "run the server's clock this far ahead of the machine's (negative: behind), as in its Date headers and Retry-After dates")
	fs.BoolVar(&f.server.Envelope, "envelope", false, `answer lists as {"data": [...], "total": N} instead of bare arrays`)
	fs.BoolVar(&f.server.NoCount, "no-count", false, "count endpoints answer 404, like a server without counts")
	fs.IntVar(&f.server.CountStatus, "count-status", 0, "count endpoints answer `STATUS` (400: an assumed /items/count landing on /items/{id}; 0: counts)")
	fs.BoolVar(&f.server.NullEmptyLists, "null-empty-lists", false, `answer an empty list page as null (or "data": null), as a Go server marshals an empty slice`)
	fs.StringVar(&f.server.CountAs, "count-as", "", "spell counts and envelope totals as a `string|float` (\"3\", what node-postgres answers for COUNT(*); 3.0) instead of integers")
	fs.StringVar(&f.server.PastEnd, "past-end", "", "answer a page past the last with `empty|last-page` (the last page again, like a server that clamps the page number)")
	fs.BoolVar(&f.server.IgnorePaging, "ignore-paging", false, "ignore page and limit, like a server without paging")
	fs.IntVar(&f.server.PageCap, "page-cap", 0, "honour limit only up to `N` rows per page, like a server with a smaller maximum (0: no cap)")
	fs.BoolVar(&f.server.ShortPage, "short-page", false, "drop the last row of one full page of each collection, once")
	fs.BoolVar(&f.server.MaskSecrets, "mask-secrets", false, `answer integration secrets masked ("****" and their last 4 characters) instead of leaving them out, with api_token, auth_token and client_secret kept as secrets too`)
	fs.Var(&f.moved, "move", "serve a route under another path: ROUTE=PATH (repeatable)")
	fs.BoolVar(&f.server.ShuffleLists, "shuffle-lists", false, "answer rows, permissions, group users and assignees in a new order on every request")
	fs.BoolVar(&f.server.ReplaceOnUpdate, "replace-on-update", false, "item updates replace data instead of merging it (keys absent from the body are gone)")
	fs.BoolVar(&f.server.StrictFieldUpdate, "strict-field-update", false, "field updates want the full FieldInput: name, slug and type")
	fs.StringVar(&f.server.CreateAnswer, "create-answer", "", "answer creates with 201 and `empty|array|schema` instead of the object")
	fs.BoolVar(&f.server.ExtraFields, "extra-fields", false, `add a read-only "revision" the contract does not name to every object, and refuse a write that sends it back (400 "property revision should not exist")`)
	fs.BoolVar(&f.server.WritableExtra, "writable-extra", false, `give every type a writable "notes" the contract does not name, kept on create and update`)
	fs.BoolVar(&f.server.OmitNulls, "omit-nulls", false, "leave out every member whose value is null, at any depth, instead of answering null")
	fs.BoolVar(&f.server.DeleteNoContent, "delete-no-content", false, `answer deletes with 204 and no body instead of 200 {"success":true}`)
	fs.BoolVar(&f.server.Gzip, "gzip", false, "gzip every answer when the request accepts it (Content-Encoding: gzip)")
	fs.BoolVar(&f.server.ClearRelationsOnTypeDelete, "clear-relations-on-type-delete", false, "deleting a type clears the relation values that point at it (without it they are left dangling)")
	fs.BoolVar(&f.asJSON, "json", false, `print one JSON line {"url", "api_key", "workspaces"} on start`)
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	if d := f.server.Data; d != "demo" && d != "empty" {
		return usagef(cmd.name, "--data must be demo or empty, not %q", d)
	}
	for name, r := range map[string]float64{"fault-rate": f.faultRate, "rate-html": f.fault.RateHTML, "rate-drift": f.fault.RateDrift, "rate-lost-write": f.fault.RateLostWrite, "retry-after-share": f.fault.RetryAfterShare} {
		if r < 0 || r > 1 {
			return usagef(cmd.name, "--%s must be between 0 and 1, not %g", name, r)
		}
	}
	f.server.MovedRoutes = map[string]string{}
	for _, mv := range f.moved {
		name, path, ok := strings.Cut(mv, "=")
		if !ok || name == "" || path == "" {
			return usagef(cmd.name, "--move %q: want ROUTE=PATH", mv)
		}
		f.server.MovedRoutes[name] = path
	}
	return fakeAPICommand(ctx, m, &f)
}

// fakeAPICommand serves the fake API until ctx ends.
func fakeAPICommand(ctx context.Context, m *Main, f *fakeAPIOptions) error {
	opts := f.server
	opts.APIKeys = []fakeapi.Key{{Secret: f.apiKey, Scopes: []string{"read", "write", "delete"}, Description: "fake-api"}}
	opts.Faults = f.faults()
	if skew := f.clockSkew; skew != 0 {
		opts.Now = func() time.Time { return time.Now().Add(skew) }
	}
	opts.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := fakeapi.New(opts)
	if err != nil {
		return usagef("fake-api", "%s", err)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.listen, err)
	}
	url := "http://" + ln.Addr().String()
	if f.asJSON {
		line, _ := json.Marshal(map[string]any{"url": url, "api_key": f.apiKey, "workspaces": srv.Workspaces()})
		fmt.Fprintf(m.Stdout, "%s\n", line)
	} else {
		fmt.Fprintf(m.Stdout, "fake Enspace API listening on %s\n  api key:    %s\n  workspaces: %v\n", url, f.apiKey, srv.Workspaces())
		fmt.Fprintf(m.Stdout, "try: curl -H 'x-api-key: %s' -H 'en-workspace: acme' %s/ws/types\n", f.apiKey, url)
	}
	if err := fakeapi.Serve(ctx, ln, srv); err != nil {
		return err
	}
	fmt.Fprintln(m.Stderr, "fake Enspace API stopped")
	return nil
}

// faults turns the flags into fault settings: --fault-rate is split evenly
// between the four retryable faults unless a --rate-* flag names its own.
func (f *fakeAPIOptions) faults() fakeapi.Faults {
	pick := func(specific float64) float64 {
		if specific >= 0 {
			return specific
		}
		return f.faultRate / 4
	}
	out := f.fault
	out.Rate429, out.Rate5xx, out.RateReset, out.RateTruncate = pick(f.rate429), pick(f.rate5xx), pick(f.rateReset), pick(f.rateTruncate)
	return out
}
