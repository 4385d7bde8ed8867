package bench

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/supervisor"
	"github.com/keksdev/keks/test/harness"
)

// idleWindow is how long CPU is sampled while nothing happens.
const idleWindow = 60 * time.Second

// BenchmarkIdle measures what keks costs when nothing happens: the CPU of
// keks, of each control-plane process and of each node's agents over 60 s,
// with a cluster like the demo's (2 nodes), beside a bare etcd +
// kube-apiserver started by hand in the same window as the baseline.
func BenchmarkIdle(b *testing.B) {
	// The baseline starts first, so that its start-up work (bootstrap
	// objects, first compactions) is over when the window opens.
	stopBaseline := bareControlPlane(b, "baseline", 1)
	defer stopBaseline()
	// The same, highly available as keks's: three etcd members (with keks's
	// heartbeat settings) under one API server. Its members show what HA
	// itself costs an idle etcd, apart from keks and the cluster's clients.
	stopHA := bareControlPlane(b, "baseline-ha", 3, "--heartbeat-interval=250", "--election-timeout=2500")
	defer stopHA()
	e := harness.New(b)
	const name = "bench-idle"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("bench"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "create-nodegroup", "--cluster-name", name, "--nodegroup-name", "idle", "--node-role", e.NodeRole("benchIdle"),
		"--subnets", e.PrivateSubnets()[0], e.PrivateSubnets()[1], "--scaling-config", "minSize=2,maxSize=2,desiredSize=2")
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", name, "--nodegroup-name", "idle")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", name, "--addon-name", "coredns")

	time.Sleep(30 * time.Second) // let start-up work (leader elections, first syncs) pass

	procs := map[string][]int{"keks server": ownProcesses()(e.ServerPID())}
	for _, in := range e.Instances(name) {
		procs["control plane "+in.Name] = []int{in.PID}
	}
	for pid, id := range supervisor.Find("instance/") {
		f := strings.Split(id, "/") // instance/<id>/<process>
		procs["node "+f[1]+" "+f[len(f)-1]] = append(procs["node "+f[1]+" "+f[len(f)-1]], pid)
	}
	for pid, id := range supervisor.Find("baseline") { // baseline/ and baseline-ha/
		procs[id] = append(procs[id], pid)
	}
	before := map[string]float64{}
	for k, pids := range procs {
		before[k] = cpuSeconds(pids)
	}
	time.Sleep(idleWindow)
	usage := map[string]float64{} // share of one core
	for k, pids := range procs {
		usage[k] = (cpuSeconds(pids) - before[k]) / idleWindow.Seconds()
	}
	baseAPI, baseEtcd := usage["baseline/kube-apiserver"], usage["baseline/etcd-a"]
	baseHAEtcd := (usage["baseline-ha/etcd-a"] + usage["baseline-ha/etcd-b"] + usage["baseline-ha/etcd-c"]) / 3
	var names []string
	for k := range usage {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("\nkeks idle for %s: a cluster (3 etcd, 2 API server instances, endpoint) with a node group of 2 nodes; CPU as %% of one core\n", idleWindow)
	fmt.Printf("  %-42s %6.2f %%   [target < 2 %%]\n", "keks server", 100*usage["keks server"])
	for _, k := range names {
		if k == "keks server" {
			continue
		}
		line := fmt.Sprintf("  %-42s %6.2f %%", k, 100*usage[k])
		switch {
		case strings.Contains(k, "kube-apiserver") && !strings.HasPrefix(k, "baseline") && baseAPI > 0:
			line += fmt.Sprintf("   (%.2fx the bare kube-apiserver; target 1.2x)", usage[k]/baseAPI)
		case strings.Contains(k, "etcd-") && !strings.HasPrefix(k, "baseline") && baseEtcd > 0 && baseHAEtcd > 0:
			line += fmt.Sprintf("   (%.2fx the bare etcd; target 1.2x; %.2fx a bare HA member)", usage[k]/baseEtcd, usage[k]/baseHAEtcd)
		}
		fmt.Println(line)
	}
	fmt.Println()
	b.ReportMetric(100*usage["keks server"], "%core-keks")
	b.ReportMetric(100*baseAPI, "%core-bare-apiserver")
}

// cpuSeconds sums user and system CPU time of processes (and their reaped children).
func cpuSeconds(pids []int) float64 {
	hz := 100.0 // USER_HZ on Linux
	total := 0.0
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime (fields 14-17)
			v, _ := strconv.ParseFloat(f[i], 64)
			total += v / hz
		}
	}
	return total
}

// ownProcesses gives a process's own: it and its descendants (a keks
// server or agent in a host slot runs as a child of the command started),
// less the supervised processes (control planes, instances, load
// balancers) and theirs, which stay their starter's children and are
// measured apart.
func ownProcesses() func(pid int) []int {
	var supervised []int
	for pid := range supervisor.Find("") {
		supervised = append(supervised, pid)
	}
	notOwn := map[int]bool{}
	for _, pid := range withDescendants(supervised) {
		notOwn[pid] = true
	}
	return func(pid int) []int {
		return slices.DeleteFunc(withDescendants([]int{pid}), func(p int) bool { return notOwn[p] })
	}
}

// withDescendants is pids and every process below them: a keks server in
// a host slot runs as a child of the command started (hostslot.Enter), and
// a running child's time is in neither process's own figures.
func withDescendants(pids []int) []int {
	out := slices.Clone(pids)
	for i := 0; i < len(out); i++ {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", out[i]))
		for _, t := range tasks {
			data, _ := os.ReadFile(t)
			for _, f := range strings.Fields(string(data)) {
				if child, err := strconv.Atoi(f); err == nil {
					out = append(out, child)
				}
			}
		}
	}
	return out
}

// bareControlPlane starts etcd (members of them, with etcdFlags) and one
// kube-apiserver of the default version by hand, on loopback, with only the
// flags they require: what an idle control plane costs with nobody talking
// to it. Their markers are prefix/etcd-a... and prefix/kube-apiserver.
func bareControlPlane(b *testing.B, prefix string, members int, etcdFlags ...string) (stop func()) {
	v, _ := kubeversions.Lookup(kubeversions.Default)
	k8s := k8sbuild.Dir(filepath.Join("..", "..", "_output", "k8s"))
	dir := b.TempDir()
	key, err := pki.NewRSAKey()
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), key, 0o600); err != nil {
		b.Fatal(err)
	}
	var cmds []*exec.Cmd
	start := func(id, bin string, args ...string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "KEKS_INSTANCE="+prefix+"/"+id)
		logf, err := os.Create(filepath.Join(dir, id+".log"))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var clients, peers, initial []string
	for i := 0; i < members; i++ {
		clients, peers = append(clients, "http://127.0.0.1:"+freePort(b)), append(peers, "http://127.0.0.1:"+freePort(b))
		initial = append(initial, fmt.Sprintf("etcd-%c=%s", 'a'+i, peers[i]))
	}
	for i := 0; i < members; i++ {
		name := fmt.Sprintf("etcd-%c", 'a'+i)
		start(name, k8s.Path(v, "etcd"), append([]string{"--name", name, "--data-dir", filepath.Join(dir, name),
			"--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
			"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
			"--initial-cluster", strings.Join(initial, ",")}, etcdFlags...)...)
	}
	apiPort := freePort(b)
	start("kube-apiserver", k8s.Path(v, "kube-apiserver"), "--etcd-servers", strings.Join(clients, ","),
		"--bind-address", "127.0.0.1", "--secure-port", apiPort, "--advertise-address", "192.0.2.1", "--cert-dir", filepath.Join(dir, "certs"),
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file", filepath.Join(dir, "sa.key"), "--service-cluster-ip-range", "10.0.0.0/24")
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+apiPort)
		cancel()
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the bare kube-apiserver did not listen within 90 s (logs in %s)", dir)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// kube-apiserver first: without its etcd it would not stop on SIGTERM.
	return func() {
		for i := len(cmds) - 1; i >= 0; i-- {
			c := cmds[i]
			_ = c.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _, _ = c.Process.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = c.Process.Kill()
				<-done
			}
		}
	}
}

func freePort(b *testing.B) string {
	_, port, _ := net.SplitHostPort(harness.FreeLoopback(b))
	return port
}
