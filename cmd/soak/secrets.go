package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Planted secrets: an API key the fake accepts, integration secrets in the
// config (sent when replicate creates integrations) and in the fake.
const (
	plantedKey       = "en.PLANTEDsoakKEYq7Zx9w3k5m1v8b2n4c6d"
	plantedToken     = "cs-PLANTED-token-4471"
	plantedSendgrid  = "SG.PLANTED.key-9931"
	plantedFakeToken = "cs-PLANTED-fake-5512"
)

// runSecrets runs a full demo at debug log level with planted secrets and
// counts where they show up: logs, outputs, errors, metrics, an export and
// the raw database bytes.
func runSecrets(o *options) (*table, error) {
	t := &table{title: "secrets: planted API key and integration secrets, everything at debug level"}
	f, err := startFake(fakeapi.Options{Data: "demo", APIKeys: []fakeapi.Key{{Secret: plantedKey, Scopes: []string{"read", "write", "delete"}, Description: "soak"}}}, nil)
	if err != nil {
		return nil, err
	}
	defer f.close()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w, err := newWorkdir(o.bin, filepath.Join(o.tmp, "secrets"), configOptions{url: f.url, apiKey: plantedKey, logLevel: "debug",
		listen: fmt.Sprintf("127.0.0.1:%d", port), copyWS: true,
		envExtra: "concurrency: 4\nsecrets:\n  certisign: {token_file: certisign-token}\n  sendgrid: {api_key: \"${SOAK_SENDGRID}\"}"})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.dir, "certisign-token"), []byte(plantedToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := post(f.url, plantedKey, "", "/workspaces", `{"name":"Acme (copy)","slug":"acme-copy"}`); err != nil {
		return nil, err
	}
	if err := post(f.url, plantedKey, "acme", "/workspace-integrations",
		`{"integration":1,"data":{"environment":"production","changeKeys":false,"token":"`+plantedFakeToken+`"}}`); err != nil {
		return nil, err
	}
	os.Setenv("SOAK_SENDGRID", plantedSendgrid)
	defer os.Unsetenv("SOAK_SENDGRID")
	var logs bytes.Buffer
	steps := [][]string{
		{"config", "check"},
		{"backup"},
		{"backup", "--json"},
		{"snapshots"},
		{"diff", "--workspace", "acme"},
		{"show", "--workspace", "acme", "latest", kind.Integrations},
		{"export", "--snapshot", "latest", "--workspace", "acme", "--output", filepath.Join(w.dir, "acme.tar.gz")},
		{"replicate", "--yes", "--from", "acme", "--to", "acme-copy", "--include-data"},
		{"replicate", "--from", "acme", "--to", "acme-copy", "--include-data", "--dry-run", "--json"},
		{"verify", "--read-data"},
	}
	var panics int64
	for _, s := range steps {
		r := w.run(s...)
		fmt.Fprintf(&logs, "$ %s (%s)\n%s\n", strings.Join(s, " "), r.took.Round(time.Millisecond), r.out)
		if panicked(r.out) {
			panics++
		}
		if r.code != 0 && r.code != 3 {
			t.note("%s: exit %d: %s", strings.Join(s, " "), r.code, firstLine(r.out))
		}
	}
	metrics, daemonOut, err := runDaemonBriefly(w, port)
	if err != nil {
		return nil, err
	}
	logs.WriteString(daemonOut)
	exported, err := readTarGz(filepath.Join(w.dir, "acme.tar.gz"))
	if err != nil {
		return nil, err
	}
	db, err := os.ReadFile(w.db)
	if err != nil {
		return nil, err
	}
	secrets := []string{plantedKey, plantedToken, plantedSendgrid, plantedFakeToken, "cs-production-7f3a9c1e5b", "SG.production.q8Zt2xLw"}
	where := []struct {
		name string
		body []byte
	}{{"logs, outputs and errors", logs.Bytes()}, {"metrics", metrics}, {"export", exported}, {"raw database bytes", db}}
	var found int64
	for _, p := range where {
		for _, s := range secrets {
			if n := bytes.Count(p.body, []byte(s)); n > 0 {
				found += int64(n)
				t.note("%s: %q found %d times", p.name, s, n)
			}
		}
	}
	t.add("run", "config check, 2 backups, snapshots, diff, show, export .tar.gz, replicate --include-data into a new workspace (twice), verify, the daemon with /metrics; all at --log-level debug")
	t.add("searched", "%s of logs and outputs, %s of metrics, %s of export, %s of database, for %d planted strings",
		kib(logs.Len()), kib(len(metrics)), kib(len(exported)), kib(len(db)), len(secrets))
	t.must("occurrences of a planted secret", found)
	t.must("panics", panics)
	return t, nil
}

func kib(n int) string { return fmt.Sprintf("%.0f KiB", float64(n)/1024) }

// runDaemonBriefly starts run, waits for /metrics, fetches it and stops
// the daemon with SIGTERM.
func runDaemonBriefly(w *workdir, port int) ([]byte, string, error) {
	cmd := w.command("run")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var body []byte
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte("enspace_sync_build_info")) {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(body) == 0 {
		return nil, "", fmt.Errorf("the daemon never served /metrics:\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
	}
	return body, "$ run\n" + out.String(), nil
}

// readTarGz returns the contents of every file of a .tar.gz, concatenated.
func readTarGz(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	var all bytes.Buffer
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return all.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(&all, tr); err != nil {
			return nil, err
		}
	}
}

// post sends a JSON body to the fake and fails on any status but 200.
func post(base, key, ws, path, body string) error {
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("content-type", "application/json")
	if ws != "" {
		req.Header.Set("en-workspace", ws)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	var v any
	return json.Unmarshal(b, &v)
}

// freePort finds a loopback port that is free now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// fileHolds tells whether any file under root holds s.
func fileHolds(root, s string) bool {
	found := false
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = true
		}
		return nil
	})
	return found
}
