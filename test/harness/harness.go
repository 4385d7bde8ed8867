// Package harness runs a real keks server for end-to-end tests and
// benchmarks, and drives it with clients nobody here wrote: the AWS CLI and
// kubectl. It needs root (bridges, addresses) and `make build`.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/keksdev/keks/internal/controlplane"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Env is one keks server with its own data directory, AWS profile files and kubeconfig.
type Env struct {
	t       testing.TB
	Dir     string
	Keks    string
	listen  string
	vars    []string
	proc    *serverProc // shared by copies made with With
	logFile string
	// serverArgs are added to `keks server`'s command line.
	serverArgs []string
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// New starts keks for a test or benchmark, with serverArgs added to its
// command line; it stops when the test ends.
func New(t testing.TB, serverArgs ...string) *Env {
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
	e := &Env{t: t, Dir: dir, Keks: keks, proc: &serverProc{}, listen: listen, logFile: filepath.Join(dir, "keks.log"), serverArgs: serverArgs}
	e.vars = append(os.Environ(),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws-credentials"),
		"AWS_PROFILE=keks",
		"AWS_CA_BUNDLE="+filepath.Join(dir, "data", "pki", "ca.crt"),
		"AWS_PAGER=",
		"KUBECONFIG="+filepath.Join(dir, "kubeconfig"),
	)
	t.Cleanup(func() {
		if t.Failed() {
			e.keepLogs()
		}
		e.deleteClusters()
		e.StopServer()
	})
	e.StartServer()
	return e
}

// keepLogs copies a failed test's keks log and instance logs to its
// artifacts directory and says where, in a few lines: CI shows the lines
// around a test's FAIL, which must be the test's own messages, not logs.
func (e *Env) keepLogs() {
	dir := ArtifactsDir(e.t)
	if _, err := os.Stat(filepath.Join(dir, "keks.log")); err == nil {
		// A second server of the same test (keks on keks, replicas)
		// keeps its logs beside the first one's.
		dir = filepath.Join(dir, "server-"+filepath.Base(e.Dir))
		_ = os.MkdirAll(dir, 0o755)
	}
	logs, _ := filepath.Glob(filepath.Join(e.Dir, "data", "instances", "*", "logs", "*.log"))
	for _, l := range append([]string{e.logFile}, logs...) {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		name := filepath.Base(l)
		if l != e.logFile {
			name = filepath.Base(filepath.Dir(filepath.Dir(l))) + "-" + name
		}
		_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	e.t.Logf("keks and instance logs kept in %s", dir)
}

// ArtifactsDir is where a test keeps what outlives it (logs of a failure,
// screenshots): _output/e2e-artifacts/<test name>, emptied first.
func ArtifactsDir(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir := filepath.Join(repoRoot(), "_output", "e2e-artifacts", name)
	if _, seen := artifactsEmptied.LoadOrStore(dir, true); !seen {
		_ = os.RemoveAll(dir) // an earlier run's files would mislead
	}
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

// artifactsEmptied are the artifacts directories this run has emptied.
var artifactsEmptied sync.Map

// StartServer starts keks server and waits until it answers.
func (e *Env) StartServer() {
	e.t.Helper()
	logf, err := os.OpenFile(e.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	// The profile is named, so that a server in another host slot (a second
	// one on this host) writes the name this environment uses.
	cmd := exec.Command(e.Keks, append([]string{"server", "--data-dir", filepath.Join(e.Dir, "data"), "--listen", e.listen, "--trust-ca=false", "--profile", "keks"}, e.serverArgs...)...)
	cmd.Env = e.vars
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.proc.cmd = cmd
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(e.credentialsFile()); err == nil {
			if _, err := e.Try("aws", "sts", "get-caller-identity"); err == nil {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatal("keks server did not answer within 60s")
}

// ServerPID is the keks server's process id (0 when it is not running).
func (e *Env) ServerPID() int {
	if e.proc.cmd == nil || e.proc.cmd.Process == nil {
		return 0
	}
	return e.proc.cmd.Process.Pid
}

// StopServer stops keks as an operator would (SIGTERM); clusters keep running.
func (e *Env) StopServer() {
	if e.proc.cmd == nil {
		return
	}
	_ = e.proc.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.proc.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = e.proc.cmd.Process.Kill()
		<-done
	}
	e.proc.cmd = nil
}

// Try runs a command in the environment and returns its output.
func (e *Env) Try(name string, args ...string) (string, error) {
	return e.TryFor(5*time.Minute, name, args...)
}

// TryFor is Try for a command that may take longer than Try allows.
func (e *Env) TryFor(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
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

// Run runs a command that must succeed.
func (e *Env) Run(name string, args ...string) string {
	e.t.Helper()
	out, err := e.Try(name, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// JSON runs a command and decodes its output.
func (e *Env) JSON(v any, name string, args ...string) {
	e.t.Helper()
	out := e.Run(name, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("%s %v: not JSON: %v\n%s", name, args, err, out)
	}
}

// serverProc is the running keks server.
type serverProc struct{ cmd *exec.Cmd }

// Instance is a row of `keks instances -o json`.
type Instance = controlplane.InstanceStatus

// Instances lists a cluster's control-plane instances.
func (e *Env) Instances(cluster string) []Instance {
	var out struct {
		Instances []Instance `json:"instances"`
	}
	e.JSON(&out, e.Keks, "instances", "-o", "json", "--cluster", cluster)
	return out.Instances
}

// Instance finds one control-plane instance by name.
func (e *Env) Instance(cluster, name string) Instance {
	for _, in := range e.Instances(cluster) {
		if in.Name == name {
			return in
		}
	}
	e.t.Fatalf("no instance %s in cluster %s", name, cluster)
	return Instance{}
}

// Eventually retries f until it returns nil or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	if err := Within(timeout, f); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Within retries f until it returns nil, or returns its last error once
// the timeout passes, for a test that says more than Eventually's message.
func Within(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("not within %s: %w", timeout, err)
}

// TrustPolicy lets EKS assume a role, as cluster roles need.
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// ClusterRole creates a cluster role with the AWS CLI and returns its ARN.
func (e *Env) ClusterRole(name string) string {
	e.t.Helper()
	arn := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", name, "--assume-role-policy-document", TrustPolicy, "--query", "Role.Arn", "--output", "text"))
	e.Run("aws", "iam", "attach-role-policy", "--role-name", name, "--policy-arn", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
	return arn
}

// NodeRole creates a node role (trusted by EC2, with the worker node
// policies) with the AWS CLI and returns its ARN.
func (e *Env) NodeRole(name string) string {
	e.t.Helper()
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	arn := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust, "--query", "Role.Arn", "--output", "text"))
	for _, p := range []string{"AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"} {
		e.Run("aws", "iam", "attach-role-policy", "--role-name", name, "--policy-arn", "arn:aws:iam::aws:policy/"+p)
	}
	return arn
}

// FargateRole makes a pod execution role: trusted by Fargate's pods
// service for the account's profiles, with AWS's policy for it.
func (e *Env) FargateRole(name string) string {
	e.t.Helper()
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	arn := strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust, "--query", "Role.Arn", "--output", "text"))
	e.Run("aws", "iam", "attach-role-policy", "--role-name", name, "--policy-arn", "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")
	return arn
}

// PrivateSubnets returns the default VPC's private subnets, one per zone.
func (e *Env) PrivateSubnets() []string {
	e.t.Helper()
	return strings.Fields(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=map-public-ip-on-launch,Values=false", "--query", "Subnets[].SubnetId", "--output", "text"))
}

// DeleteClusters deletes every cluster of the environment and waits until
// they are gone.
func (e *Env) DeleteClusters() { e.deleteClusters() }

// deleteClusters deletes what a test left, so that no control plane outlives
// the test's data directory.
func (e *Env) deleteClusters() {
	if e.proc.cmd == nil {
		return
	}
	// Node groups first: they would replace instances terminated before them.
	clusters, _ := e.Try("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text")
	for _, c := range strings.Fields(clusters) {
		ngs, _ := e.Try("aws", "eks", "list-nodegroups", "--cluster-name", c, "--query", "nodegroups", "--output", "text")
		for _, ng := range strings.Fields(ngs) {
			e.deleteNodegroup(c, ng)
		}
		for _, ng := range strings.Fields(ngs) {
			if _, err := e.Try("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", c, "--nodegroup-name", ng); err != nil {
				e.t.Logf("cleanup: wait for node group %s: %v", ng, err)
			}
		}
		// Fargate profiles one at a time, as EKS allows; their pods' nodes go with them.
		fps, _ := e.Try("aws", "eks", "list-fargate-profiles", "--cluster-name", c, "--query", "fargateProfileNames", "--output", "text")
		for _, fp := range strings.Fields(fps) {
			_, _ = e.Try("aws", "eks", "delete-fargate-profile", "--cluster-name", c, "--fargate-profile-name", fp)
			if _, err := e.Try("aws", "eks", "wait", "fargate-profile-deleted", "--cluster-name", c, "--fargate-profile-name", fp); err != nil {
				e.t.Logf("cleanup: wait for Fargate profile %s: %v", fp, err)
			}
		}
	}
	if ids, err := e.Try("aws", "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=pending,running", "--query", "Reservations[].Instances[].InstanceId", "--output", "text"); err == nil && len(strings.Fields(ids)) > 0 {
		_, _ = e.Try("aws", append([]string{"ec2", "terminate-instances", "--instance-ids"}, strings.Fields(ids)...)...)
		// Not Eventually: a failure here must not skip deleting the clusters.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			left, err := e.Try("aws", "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=pending,running,shutting-down", "--query", "Reservations[].Instances[].InstanceId", "--output", "text")
			if err == nil && strings.TrimSpace(left) == "" {
				break
			}
			if time.Now().After(deadline) {
				e.t.Errorf("cleanup: instances still running after a minute: %s %v", strings.TrimSpace(left), err)
				break
			}
		}
	}
	out, err := e.Try("aws", "eks", "list-clusters", "--query", "clusters", "--output", "text")
	if err != nil {
		return
	}
	for _, name := range strings.Fields(out) {
		if _, err := e.Try("aws", "eks", "delete-cluster", "--name", name); err != nil {
			e.t.Logf("cleanup: delete %s: %v", name, err)
		}
	}
	for _, name := range strings.Fields(out) {
		if _, err := e.Try("aws", "eks", "wait", "cluster-deleted", "--name", name); err != nil {
			e.t.Logf("cleanup: wait for %s: %v", name, err)
		}
	}
}

// deleteNodegroup deletes a node group, waiting while it is still CREATING
// (refused then, as on EKS): a group whose nodes never join is CREATE_FAILED
// or DEGRADED within keks's 10 minutes, and its instances must not outlive
// the test.
func (e *Env) deleteNodegroup(cluster, ng string) {
	for deadline := time.Now().Add(11 * time.Minute); ; time.Sleep(10 * time.Second) {
		out, err := e.Try("aws", "eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", ng)
		if err == nil || !strings.Contains(out+err.Error(), "currently CREATING") {
			return
		}
		if time.Now().After(deadline) {
			e.t.Logf("cleanup: node group %s still CREATING: %v", ng, err)
			return
		}
	}
}

// With returns the environment reporting to t, for use inside subtests
// (failing a parent test from a subtest is not allowed).
func (e *Env) With(t testing.TB) *Env {
	c := *e
	c.t = t
	return &c
}

// As returns the environment acting as another IAM identity: the AWS CLI
// signs with its key (the keks profile still gives the endpoint), and
// kubectl uses a kubeconfig of its own.
func (e *Env) As(name, accessKeyID, secretAccessKey string) *Env {
	c := *e
	c.vars = append(slices.Clone(e.vars),
		"AWS_ACCESS_KEY_ID="+accessKeyID, "AWS_SECRET_ACCESS_KEY="+secretAccessKey,
		"KUBECONFIG="+filepath.Join(e.Dir, "kubeconfig-"+name))
	return &c
}

// NewUser makes an IAM user with an access key and the given policy
// document as a customer managed policy, and returns the
// environment acting as it.
func (e *Env) NewUser(name, policyDocument string) (*Env, string) {
	e.t.Helper()
	var u struct{ User struct{ Arn string } }
	e.JSON(&u, "aws", "iam", "create-user", "--user-name", name)
	if policyDocument != "" {
		var p struct{ Policy struct{ Arn string } }
		e.JSON(&p, "aws", "iam", "create-policy", "--policy-name", name+"-policy", "--policy-document", policyDocument)
		e.Run("aws", "iam", "attach-user-policy", "--user-name", name, "--policy-arn", p.Policy.Arn)
	}
	var k struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	e.JSON(&k, "aws", "iam", "create-access-key", "--user-name", name)
	return e.As(name, k.AccessKey.AccessKeyId, k.AccessKey.SecretAccessKey), u.User.Arn
}

// LoadResult counts the commands a Load ran.
type LoadResult struct {
	OK, Failed int64
	FirstError string
}

// Load runs a command over and over in two workers until the returned stop
// is called, as a stream of client requests that must not fail.
func (e *Env) Load(name string, args ...string) (stop func() LoadResult) {
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := e.Try(name, args...); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	return func() LoadResult {
		close(done)
		wg.Wait()
		r := LoadResult{OK: ok.Load(), Failed: failed.Load()}
		if v, isSet := firstErr.Load().(string); isSet {
			r.FirstError = v
		}
		return r
	}
}

// Watch runs a command every interval until the returned stop is called and
// returns the outputs it saw (failed runs are left out).
func (e *Env) Watch(interval time.Duration, name string, args ...string) (stop func() []string) {
	var mu sync.Mutex
	var samples []string
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if out, err := e.Try(name, args...); err == nil {
				mu.Lock()
				samples = append(samples, strings.TrimSpace(out))
				mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() []string {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return samples
	}
}

// Long skips a test `make test` leaves to `make e2e-extended` (which sets
// KEKS_E2E_LONG=1) to stay under its time budget; why says what covers
// it in the shorter run, or why it is long.
func Long(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("KEKS_E2E_LONG") != "1" {
		t.Skipf("long test (%s): runs with KEKS_E2E_LONG=1, as make e2e-extended sets", why)
	}
}

// Endpoint is the server's URL: its AWS APIs and its console.
func (e *Env) Endpoint() string { return "https://" + e.listen }

// Credentials are the access key the environment's AWS CLI signs with.
func (e *Env) Credentials() (accessKeyID, secretAccessKey string) {
	e.t.Helper()
	for _, v := range e.vars {
		if k, ok := strings.CutPrefix(v, "AWS_ACCESS_KEY_ID="); ok {
			accessKeyID = k
		}
		if k, ok := strings.CutPrefix(v, "AWS_SECRET_ACCESS_KEY="); ok {
			secretAccessKey = k
		}
	}
	if accessKeyID == "" {
		accessKeyID = strings.TrimSpace(e.Run("aws", "configure", "get", "aws_access_key_id"))
		secretAccessKey = strings.TrimSpace(e.Run("aws", "configure", "get", "aws_secret_access_key"))
	}
	return accessKeyID, secretAccessKey
}

// AddServerArgs gives the keks server more flags from its next start on.
func (e *Env) AddServerArgs(args ...string) { e.serverArgs = append(e.serverArgs, args...) }
