package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds the wait for weed's S3 gateway and bucket.
const startTimeout = 60 * time.Second

// weed is a SeaweedFS server this package started.
type weed struct {
	Server
	cmd    *exec.Cmd
	dir    string
	exited chan struct{}
}

// startWeed starts `weed server` with its S3 gateway on free loopback
// ports (the same flags as .ci/s3server.sh), creates the bucket and waits
// until S3 answers.
func startWeed(bin string) (*weed, error) {
	dir, err := os.MkdirTemp("", "enspace-s3test-")
	if err != nil {
		return nil, err
	}
	w := &weed{dir: dir, exited: make(chan struct{})}
	w.Bucket = "enspace-test"
	w.DataDir = filepath.Join(dir, "data")
	w.Started = true
	w.AccessKeyID, w.SecretAccessKey = randomHex(12), randomHex(24)
	if err := os.Mkdir(w.DataDir, 0o700); err != nil {
		return nil, w.fail(err)
	}
	config := fmt.Sprintf(`{"identities": [{"name": "enspace-test", "credentials": [{"accessKey": %q, "secretKey": %q}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}`, w.AccessKeyID, w.SecretAccessKey)
	if err := os.WriteFile(filepath.Join(dir, "s3.json"), []byte(config), 0o600); err != nil {
		return nil, w.fail(err)
	}
	ports, err := freePorts(8)
	if err != nil {
		return nil, w.fail(err)
	}
	master, volume, filer, s3 := ports[0], ports[1], ports[2], ports[3]
	w.Endpoint = "http://127.0.0.1:" + s3
	log, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		return nil, w.fail(err)
	}
	defer log.Close()
	w.cmd = exec.Command(bin, "server", "-dir="+w.DataDir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+master, "-master.port.grpc="+ports[4], "-master.telemetry=false",
		"-master.volumeSizeLimitMB=256", "-volume.max=0", "-volume.preStopSeconds=0", "-volume.port="+volume, "-volume.port.grpc="+ports[5],
		"-filer", "-filer.port="+filer, "-filer.port.grpc="+ports[6], "-filer.localSocket="+filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port="+s3, "-s3.port.grpc="+ports[7], "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.localSocket="+filepath.Join(dir, "s3.sock"), "-s3.config="+filepath.Join(dir, "s3.json"))
	w.cmd.Stdout, w.cmd.Stderr = log, log
	w.cmd.SysProcAttr = dieWithParent()
	if err := w.cmd.Start(); err != nil {
		return nil, w.fail(err)
	}
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	shell := func(command string) (string, error) {
		// weed names a server whose gRPC port is not HTTP+10000 as
		// HOST:PORT.GRPCPORT.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, bin, "shell", "-master=127.0.0.1:"+master+"."+ports[4], "-filer=127.0.0.1:"+filer+"."+ports[6])
		c.Stdin = strings.NewReader(command + "\n")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-w.exited:
			return nil, w.fail(fmt.Errorf("weed exited while starting: %s", w.logTail()))
		default:
		}
		if answers(w.Endpoint) {
			if _, err := shell("s3.bucket.create -name " + w.Bucket); err == nil {
				if out, err := shell("s3.bucket.list"); err == nil && strings.Contains(out, w.Bucket) {
					return w, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, w.fail(fmt.Errorf("S3 did not answer within %s: %s", startTimeout, w.logTail()))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// answers tells whether an HTTP server answers at endpoint.
func answers(endpoint string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(endpoint + "/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// stop ends weed (SIGTERM, then SIGKILL after 2 s: weed takes about 10 s
// to stop by itself, and its files are thrown away) and removes its files.
func (w *weed) stop() {
	if w.cmd != nil && w.cmd.Process != nil {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(2 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
	}
	_ = os.RemoveAll(w.dir)
}

func (w *weed) fail(err error) error {
	w.stop()
	return err
}

func (w *weed) logTail() string {
	b, _ := os.ReadFile(filepath.Join(w.dir, "weed.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// freePorts returns n distinct TCP ports of 127.0.0.1 that were free a
// moment ago.
func freePorts(n int) ([]string, error) {
	var out []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for len(out) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		if port > 55535 { // weed adds 10000 for ports it derives
			continue
		}
		out = append(out, strconv.Itoa(port))
	}
	if len(out) != n {
		return nil, errors.New("not enough free ports")
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
