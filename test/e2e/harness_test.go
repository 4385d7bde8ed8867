// Package e2e drives a real keks server with clients nobody here wrote: the
// AWS CLI and kubectl. It needs root (bridges, addresses), the built keks
// binary and Kubernetes build (make build).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

type env struct {
	t       *testing.T
	dir     string
	keks    string
	listen  string
	vars    []string
	server  *exec.Cmd
	logFile string
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("end-to-end tests need root: keks makes bridges and addresses")
	}
	keks := filepath.Join(repoRoot(), "_output", "bin", "keks")
	if _, err := os.Stat(keks); err != nil {
		t.Fatalf("build keks first (make build): %v", err)
	}
	for _, tool := range []string{"aws", "kubectl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: %v", tool, err)
		}
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	_ = l.Close()
	e := &env{t: t, dir: dir, keks: keks, listen: listen, logFile: filepath.Join(dir, "keks.log")}
	e.vars = append(os.Environ(),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws-credentials"),
		"AWS_PROFILE=keks",
		"AWS_CA_BUNDLE="+filepath.Join(dir, "data", "pki", "ca.crt"),
		"AWS_PAGER=",
		"KUBECONFIG="+filepath.Join(dir, "kubeconfig"),
	)
	t.Cleanup(func() {
		e.stopServer()
		if t.Failed() {
			if b, err := os.ReadFile(e.logFile); err == nil {
				t.Logf("keks log (tail):\n%s", tail(string(b), 60))
			}
		}
	})
	e.startServer()
	return e
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (e *env) startServer() {
	e.t.Helper()
	logf, err := os.OpenFile(e.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(e.keks, "server", "--data-dir", filepath.Join(e.dir, "data"), "--listen", e.listen, "--trust-ca=false")
	cmd.Env = e.vars
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.server = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(e.dir, "aws-credentials")); err == nil {
			if _, err := e.try("aws", "sts", "get-caller-identity"); err == nil {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatal("keks server did not answer within 60s")
}

// stopServer stops keks as an operator would (SIGTERM); clusters keep running.
func (e *env) stopServer() {
	if e.server == nil {
		return
	}
	_ = e.server.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.server.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = e.server.Process.Kill()
		<-done
	}
	e.server = nil
}

func (e *env) try(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.vars
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func (e *env) run(name string, args ...string) string {
	e.t.Helper()
	out, err := e.try(name, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) json(v any, name string, args ...string) {
	e.t.Helper()
	out := e.run(name, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("%s %v: not JSON: %v\n%s", name, args, err, out)
	}
}

type instance struct {
	Cluster  string `json:"cluster"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Zone     string `json:"availabilityZone"`
	Address  string `json:"address"`
	PID      int    `json:"pid"`
	Healthy  bool   `json:"healthy"`
	Running  bool   `json:"running"`
	Version  string `json:"version"`
	Replaced int    `json:"replaced"`
}

func (e *env) instances(cluster string) []instance {
	var out struct {
		Instances []instance `json:"instances"`
	}
	e.json(&out, e.keks, "instances", "-o", "json", "--cluster", cluster)
	return out.Instances
}

func (e *env) instance(cluster, name string) instance {
	for _, in := range e.instances(cluster) {
		if in.Name == name {
			return in
		}
	}
	e.t.Fatalf("no instance %s in cluster %s", name, cluster)
	return instance{}
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
}
