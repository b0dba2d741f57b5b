package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3test"
)

// The helpers of the offsite suites against a real S3 server
// (offsite_s3_test.go): a daemon's directory with its config, a fake API
// whose items change day by day, and the checks that compare databases
// and read the bucket's raw bytes.

// offsitePassword is the repository password of the suites' targets.
const offsitePassword = "correct horse battery staple 7e41"

// s3Daemon is one daemon's directory: its config, database and secrets.
type s3Daemon struct {
	name, dir, cfg, db string
	pwFile             string
	idFile, secretFile string
}

// newS3Daemon writes a config for a daemon called name that backs up the
// workspaces of the fake at apiURL and pushes to the S3 target targetURL.
func newS3Daemon(t *testing.T, srv *s3test.Server, name, apiURL, targetURL string, workspaces ...string) *s3Daemon {
	t.Helper()
	d := &s3Daemon{name: name, dir: t.TempDir()}
	d.db = filepath.Join(d.dir, "db", "enspace-sync.db")
	d.pwFile = filepath.Join(d.dir, "offsite.password")
	if err := os.WriteFile(d.pwFile, []byte(offsitePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.idFile, d.secretFile = srv.CredentialFiles(t, d.dir)
	var ws strings.Builder
	for _, w := range workspaces {
		fmt.Fprintf(&ws, "  - name: %s\n    environment: local\n", w)
	}
	cfg := fmt.Sprintf(`name: %s
database: %s
log: {level: warn}
environments:
  local:
    base_url: %s
    api_key_file: key
    requests_per_second: 0
workspaces:
%soffsite:
  - name: s3
    url: %q
    access_key_id_file: %s
    secret_access_key_file: %s
    password_file: %s
`, name, d.db, apiURL, ws.String(), targetURL, d.idFile, d.secretFile, d.pwFile)
	d.cfg = filepath.Join(d.dir, "config.yaml")
	if err := os.WriteFile(d.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// run runs the program with the daemon's config and fails the test unless
// it exits 0; it returns stdout.
func (d *s3Daemon) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.try(args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// try runs the program with the daemon's config; output is stdout and
// stderr together.
func (d *s3Daemon) try(args ...string) (string, error) {
	args = append(args[:len(args):len(args)], "--config", d.cfg)
	return runSelfOut(args...)
}

func runSelfOut(args ...string) (string, error) {
	var out bytes.Buffer
	cmd := selfCommand(args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// churnFake is a fake API whose items change each day.
type churnFake struct {
	srv *fakeapi.Server
	hs  *httptest.Server
	// planted holds a value written into an item each day: none of them
	// may appear in the bucket.
	planted []string
}

func newChurnFake(t *testing.T, items int) *churnFake {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: items})
	if err != nil {
		t.Fatal(err)
	}
	f := &churnFake{srv: srv, hs: httptest.NewServer(srv)}
	t.Cleanup(f.hs.Close)
	return f
}

// day edits one client in every 100 of workspace ws (1% churn), one of
// them to a planted value, adds a client and deletes a contract.
func (f *churnFake) day(t *testing.T, ws string, n int) {
	t.Helper()
	w := f.srv.Workspace(ws)
	if w == nil {
		t.Fatalf("the fake has no workspace %s", ws)
	}
	planted := fmt.Sprintf("planted-city-%s-day-%02d-4f1c", ws, n)
	f.planted = append(f.planted, planted)
	for i, id := range w.ItemIDs("clients") {
		if i%100 != n%100 {
			continue
		}
		city := fmt.Sprintf("City %d of day %d", i, n)
		if i == n%100 {
			city = planted
		}
		if err := w.UpdateItem("clients", id, map[string]any{"city": city}); err != nil {
			t.Fatalf("day %d: update client %d: %v", n, id, err)
		}
	}
	if _, err := w.CreateItem("clients", map[string]any{"name": fmt.Sprintf("New client of day %d", n)}); err != nil {
		t.Fatalf("day %d: create client: %v", n, err)
	}
	if ids := w.ItemIDs("contracts"); len(ids) > 0 {
		if err := w.DeleteItem("contracts", ids[len(ids)-1]); err != nil {
			t.Fatalf("day %d: delete contract: %v", n, err)
		}
	}
}

// localSnapshot is what `snapshots --json` says of one snapshot.
type localSnapshot struct {
	ID        string `json:"id"`
	Workspace string `json:"workspace"`
	Status    string `json:"status"`
}

func (d *s3Daemon) snapshots(t *testing.T) []localSnapshot {
	t.Helper()
	var out []localSnapshot
	if err := json.Unmarshal([]byte(d.run(t, "snapshots", "--json")), &out); err != nil {
		t.Fatalf("snapshots --json: %v", err)
	}
	return out
}

// offsiteSnapshot is what `offsite snapshots --json` says of one.
type offsiteSnapshot struct {
	Name      string `json:"name"`
	Workspace string `json:"workspace"`
	ID        string `json:"id"`
}

func (d *s3Daemon) offsiteSnapshots(t *testing.T) []offsiteSnapshot {
	t.Helper()
	var out []offsiteSnapshot
	if err := json.Unmarshal([]byte(d.run(t, "offsite", "snapshots", "--json")), &out); err != nil {
		t.Fatalf("offsite snapshots --json: %v", err)
	}
	return out
}

// exportSnapshot exports one snapshot of the database that cfg names as
// ndjson and returns every file of the export by its relative path.
func exportSnapshot(t *testing.T, cfg, workspace, id string) map[string][]byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if out, err := runSelfOut("export", "--config", cfg, "--workspace", workspace, "--snapshot", id, "--output", dir, "--format", "ndjson", "--quiet"); err != nil {
		t.Fatalf("export %s: %v\n%s", id, err, out)
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// restoredConfig writes a config that reads the database at db (the same
// fake API and workspaces as d), for the read commands.
func (d *s3Daemon) restoredConfig(t *testing.T, db string) string {
	t.Helper()
	b, err := os.ReadFile(d.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "database: "+d.db, "database: "+db, 1)
	path := filepath.Join(d.dir, "restored-"+filepath.Base(db)+".yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sameSnapshots checks that every snapshot of d's database is in the one
// restoredCfg reads, and holds the same objects: its ndjson export is
// byte for byte the original's, and the diff from the snapshot before it
// is the same.
func sameSnapshots(t *testing.T, d *s3Daemon, restoredCfg string, snaps []localSnapshot) {
	t.Helper()
	prev := map[string]string{}
	for _, s := range snaps {
		want := exportSnapshot(t, d.cfg, s.Workspace, s.ID)
		got := exportSnapshot(t, restoredCfg, s.Workspace, s.ID)
		if len(want) == 0 {
			t.Fatalf("snapshot %s exported no file", s.ID)
		}
		for name, w := range want {
			if name == "manifest.json" {
				// created_at is when the export was written.
				w, got[name] = withoutKey(t, w, "created_at"), withoutKey(t, got[name], "created_at")
			}
			if !bytes.Equal(got[name], w) {
				gl, wl := firstDiffLine(got[name], w)
				t.Errorf("snapshot %s: %s differs after restore-db:\n%s\nwant\n%s", s.ID, name, gl, wl)
			}
		}
		if len(got) != len(want) {
			t.Errorf("snapshot %s: %d files exported after restore-db, want %d", s.ID, len(got), len(want))
		}
		if p, ok := prev[s.Workspace]; ok {
			args := []string{"diff", "--workspace", s.Workspace, "--json", p, s.ID}
			wantDiff := d.run(t, args...)
			gotDiff, err := runSelfOut(append(args, "--config", restoredCfg)...)
			if err != nil || gotDiff != wantDiff {
				t.Errorf("diff %s %s after restore-db: %v\n%s\nwant\n%s", p, s.ID, err, gotDiff, wantDiff)
			}
		}
		prev[s.Workspace] = s.ID
	}
}

// bucketBytes returns every byte the target holds under prefix: each
// object, downloaded, and, when the server keeps its data in a known
// directory, every file there (object names and metadata included).
func bucketBytes(t *testing.T, srv *s3test.Server, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	loc, err := offsite.ParseURL(srv.URL(prefix))
	if err != nil {
		t.Fatal(err)
	}
	b, err := offsite.OpenBackend(loc, offsite.Credentials{AccessKeyID: srv.AccessKeyID, SecretAccessKey: srv.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var names []string
	if err := b.List(ctx, "", func(o offsite.ObjectInfo) error { names = append(names, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, n := range names {
		data, err := b.Get(ctx, n)
		if err != nil {
			t.Fatalf("get %s: %v", n, err)
		}
		out["object "+n] = append([]byte(n+"\n"), data...)
	}
	if srv.DataDir != "" {
		err := filepath.WalkDir(srv.DataDir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			out["file "+path] = data
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// noLeaks fails the test if any of secrets appears in the bytes.
func noLeaks(t *testing.T, raw map[string][]byte, secrets ...string) {
	t.Helper()
	total := 0
	for where, data := range raw {
		total += len(data)
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%q found in the bucket's raw bytes: %s", s, where)
			}
		}
	}
	if total == 0 {
		t.Fatal("the bucket holds no bytes: nothing was checked")
	}
	t.Logf("searched %d objects and files, %d bytes, for %d strings", len(raw), total, len(secrets))
}

// firstDiffLine returns the first line where got and want differ.
func firstDiffLine(got, want []byte) (string, string) {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: %.300s", i+1, gl), fmt.Sprintf("line %d: %.300s", i+1, wl)
		}
	}
	return "", ""
}

// withoutKey returns a JSON object without one of its keys, re-encoded.
func withoutKey(t *testing.T, b []byte, key string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	delete(m, key)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
