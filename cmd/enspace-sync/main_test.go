package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestMain lets scripts run the real program as "enspace-sync": each exec
// starts this test binary as a separate process that runs main's code.
func TestMain(m *testing.M) {
	if os.Getenv("ENSPACE_SYNC_TEST_MAIN") == "1" {
		// The test binary playing enspace-sync, for crash tests and benchmarks.
		if path := os.Getenv("ENSPACE_SYNC_TEST_CPUPROFILE"); path != "" {
			f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
			if err == nil && pprof.StartCPUProfile(f) == nil {
				code := realMain()
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
		if path := os.Getenv("ENSPACE_SYNC_TEST_MEMPROFILE"); path != "" {
			// An allocation profile of the whole run, every 4 KiB sampled.
			runtime.MemProfileRate = 4096
			if d, err := time.ParseDuration(os.Getenv("ENSPACE_SYNC_TEST_HEAPAT")); err == nil {
				// And the heap in use at the GC before d into the run.
				time.AfterFunc(d, func() {
					if f, err := os.Create(fmt.Sprintf("%s.%d.heap", path, os.Getpid())); err == nil {
						_ = pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				})
			}
			code := realMain()
			if f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid())); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			os.Exit(code)
		}
		os.Exit(realMain())
	}
	testscript.Main(m, map[string]func(){
		"enspace-sync": func() { os.Exit(realMain()) },
	})
}

// TestScripts runs testdata/script/*.txtar: each is a shell session of
// enspace-sync commands with their expected output and exit codes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fakeapi":  cmdFakeAPI,
			"fakereqs": cmdFakeRequests,
			"freeport": cmdFreePort,
			"httpget":  cmdHTTPGet,
			"httpdo":   cmdHTTPDo,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("DEMO_KEY", fakeapi.DemoAPIKey)
			env.Values[fakeServerKey{}] = &fakeServer{}
			return nil
		},
	})
}

// cmdFakeAPI starts a fake Enspace API inside the test process and sets
// $FAKE_URL: fakeapi [--items N] [--fail ROUTE=STATUS]... [--envelope]
// [--no-count] [--count-status STATUS] [--ignore-paging] [--page-cap N] [--short-page] [--move ROUTE=PATH]... [--key-scopes
// read,write] [--key-workspaces SLUG,...] [--merge-on-update] [--replace-on-update]
// [--strict-field-update] [--create-answer empty|array|schema] [--clear-relations-on-type-delete]
// [--required-relations] [--empty]
// [--rate-429 SHARE] (each with Retry-After: 1) [--seed N] [--rate-drift SHARE]
// [--rate-lost-write SHARE] [--lost-write-status STATUS] [--lost-write-method METHOD] [--mask-secrets]
// [--extra-fields] [--writable-extra] [--omit-nulls] [--delete-no-content] [--gzip]
func cmdFakeAPI(ts *testscript.TestScript, neg bool, args []string) {
	opts := fakeapi.Options{Data: "demo", Faults: fakeapi.Faults{FailRoutes: map[string]int{}}, MovedRoutes: map[string]string{}}
	key := fakeapi.Key{Secret: fakeapi.DemoAPIKey, Scopes: []string{"read", "write", "delete"}, Description: "demo"}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--envelope":
			opts.Envelope = true
		case "--no-count":
			opts.NoCount = true
		case "--count-status":
			i++
			fmt.Sscan(args[i], &opts.CountStatus)
		case "--ignore-paging":
			opts.IgnorePaging = true
		case "--page-cap":
			i++
			fmt.Sscan(args[i], &opts.PageCap)
		case "--short-page":
			opts.ShortPage = true
		case "--mask-secrets":
			opts.MaskSecrets = true
		case "--retry-after-date":
			opts.Faults.RetryAfterDate = true
		case "--clock-skew":
			i++
			skew, err := time.ParseDuration(args[i])
			ts.Check(err)
			opts.Now = func() time.Time { return time.Now().Add(skew) }
		case "--past-end":
			i++
			opts.PastEnd = args[i]
		case "--null-empty-lists":
			opts.NullEmptyLists = true
		case "--count-as":
			i++
			opts.CountAs = args[i]
		case "--move":
			i++
			name, path, _ := strings.Cut(args[i], "=")
			opts.MovedRoutes[name] = path
		case "--key-scopes":
			i++
			key.Scopes = strings.Split(args[i], ",")
		case "--key-workspaces":
			i++
			key.Workspaces = strings.Split(args[i], ",")
		case "--items":
			i++
			fmt.Sscan(args[i], &opts.Items)
		case "--shuffle":
			opts.ShuffleLists = true
		case "--merge-on-update":
			opts.MergeOnUpdate = true
		case "--replace-on-update":
			opts.ReplaceOnUpdate = true
		case "--strict-field-update":
			opts.StrictFieldUpdate = true
		case "--create-answer":
			i++
			opts.CreateAnswer = args[i]
		case "--extra-fields":
			opts.ExtraFields = true
		case "--writable-extra":
			opts.WritableExtra = true
		case "--omit-nulls":
			opts.OmitNulls = true
		case "--delete-no-content":
			opts.DeleteNoContent = true
		case "--gzip":
			opts.Gzip = true
		case "--clear-relations-on-type-delete":
			opts.ClearRelationsOnTypeDelete = true
		case "--required-relations":
			opts.RequiredRelations = true
		case "--required-cycle":
			opts.RequiredCycle = true
		case "--empty":
			opts.Data = "empty"
		case "--rate-429":
			i++
			fmt.Sscan(args[i], &opts.Faults.Rate429)
			opts.Faults.RetryAfterShare, opts.Faults.RetryAfter = 1, time.Second
		case "--seed":
			i++
			fmt.Sscan(args[i], &opts.Seed)
		case "--rate-drift":
			i++
			fmt.Sscan(args[i], &opts.Faults.RateDrift)
		case "--rate-lost-write":
			i++
			fmt.Sscan(args[i], &opts.Faults.RateLostWrite)
		case "--lost-write-status":
			i++
			fmt.Sscan(args[i], &opts.Faults.LostWriteStatus)
		case "--lost-write-method":
			i++
			opts.Faults.LostWriteMethod = args[i]
		case "--fail":
			i++
			var status int
			name, s, _ := strings.Cut(args[i], "=")
			fmt.Sscan(s, &status)
			opts.Faults.FailRoutes[name] = status
		default:
			ts.Fatalf("fakeapi: unknown argument %q", args[i])
		}
	}
	opts.APIKeys = []fakeapi.Key{key}
	srv, err := fakeapi.New(opts)
	ts.Check(err)
	ts.Value(fakeServerKey{}).(*fakeServer).srv = srv
	hs := httptest.NewServer(srv)
	ts.Defer(hs.Close)
	ts.Setenv("FAKE_URL", hs.URL)
}

// fakeServerKey finds a script's fakeServer among its values.
type fakeServerKey struct{}

// fakeServer is the fake started by a script's last fakeapi.
type fakeServer struct {
	srv  *fakeapi.Server
	mark int64 // writes counted when "fakereqs mark" ran
}

// cmdFakeRequests prints the requests the fake received by method, one
// "METHOD N" line each, sorted: fakereqs. "fakereqs mark" remembers the
// writes so far; "fakereqs writes" prints "writes N", the requests that
// could change data (all but GET, HEAD, OPTIONS) since the mark.
func cmdFakeRequests(ts *testscript.TestScript, neg bool, args []string) {
	fs := ts.Value(fakeServerKey{}).(*fakeServer)
	if fs.srv == nil {
		ts.Fatalf("fakereqs: no fakeapi started")
	}
	if len(args) > 0 {
		switch args[0] {
		case "mark":
			fs.mark = fs.srv.Requests().Writes()
		case "writes":
			fmt.Fprintf(ts.Stdout(), "writes %d\n", fs.srv.Requests().Writes()-fs.mark)
		case "early":
			fmt.Fprintf(ts.Stdout(), "early %d\n", fs.srv.Requests().EarlyRetries)
		default:
			ts.Fatalf("fakereqs: unknown argument %q", args[0])
		}
		return
	}
	byMethod := fs.srv.Requests().ByMethod
	methods := make([]string, 0, len(byMethod))
	for m := range byMethod {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, m := range methods {
		fmt.Fprintf(ts.Stdout(), "%s %d\n", m, byMethod[m])
	}
}

// cmdFreePort sets the named variable to a free port on 127.0.0.1.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ts.Setenv(args[0], fmt.Sprint(port))
}

// cmdHTTPDo sends a request with a JSON body to the fake started by
// fakeapi, as the demo key on workspace acme, and fails unless it answers
// 2xx: httpdo METHOD PATH [BODY]
func cmdHTTPDo(ts *testscript.TestScript, neg bool, args []string) {
	var body io.Reader
	if len(args) > 2 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], ts.Getenv("FAKE_URL")+args[1], body)
	ts.Check(err)
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("en-workspace", "acme")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if (resp.StatusCode/100 == 2) == neg {
		ts.Fatalf("%s %s: %d %s", args[0], args[1], resp.StatusCode, out)
	}
}

// cmdHTTPGet fetches a URL with optional headers, waiting up to 10s for the
// server to come up, and prints "STATUS\nBODY" on stdout:
// httpget URL [Header:value]...
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	req, err := http.NewRequest("GET", args[0], nil)
	ts.Check(err)
	for _, h := range args[1:] {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	var resp *http.Response
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		resp, err = http.DefaultClient.Do(req)
		if err == nil || time.Since(start) > 10*time.Second {
			break
		}
	}
	ts.Check(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d\n%s\n", resp.StatusCode, body)
}
