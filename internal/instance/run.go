package instance

import (
	"context"
	"errors"
	"fmt"
	"github.com/keksdev/keks/internal/pki"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	cri "k8s.io/cri-api/pkg/apis/runtime/v1"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/supervisor"
)

// Processes are the pids of an instance's daemons.
type Processes struct {
	Containerd int
	Kubelet    int
	KubeProxy  int
}

func (s *Spec) markers() (containerd, kubelet, kubeProxy string) {
	return "instance/" + s.ID + "/containerd", "instance/" + s.ID + "/kubelet", "instance/" + s.ID + "/kube-proxy"
}

// Run makes the instance's network, cgroups and files and starts containerd
// and the kubelet; it is idempotent, starting only what is not running.
func Run(ctx context.Context, s *Spec, p Processes) (Processes, error) {
	if err := ensureSubnetBridge(s.Bridge, netip.PrefixFrom(s.Gateway, s.Address.Bits())); err != nil {
		return p, err
	}
	if err := ensureNetns(s.netns()); err != nil {
		return p, err
	}
	if err := plug(s.netns(), s.hostVeth(), s.Bridge, s.Address, s.Gateway); err != nil {
		return p, fmt.Errorf("plug %s into %s: %w", s.ID, s.Bridge, err)
	}
	cg, err := hostCgroups()
	if err != nil {
		return p, err
	}
	if err := ensureCgroups(cg, s); err != nil {
		return p, err
	}
	// The host routes each node's pods to the node, so pods on different nodes reach each other.
	if err := routePods(s); err != nil {
		return p, err
	}
	// Service traffic between two pods of one node crosses the node's CNI
	// bridge, which must pass through kube-proxy's iptables rules.
	if err := inNetns(s.netns(), func() error {
		err := os.WriteFile("/proc/sys/net/bridge/bridge-nf-call-iptables", []byte("1"), 0o644)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}); err != nil {
		return p, fmt.Errorf("bridge netfilter in %s: %w", s.ID, err)
	}
	if s.NoPodMetadata {
		if err := blockPodMetadata(ctx, s); err != nil {
			return p, err
		}
	}
	cmID, kID, kpID := s.markers()
	// Adopt daemons already running for this instance that the caller lost track of.
	for pid, id := range supervisor.Find("instance/" + s.ID + "/") {
		switch {
		case id == cmID && !supervisor.Running(p.Containerd, cmID):
			p.Containerd = pid
		case id == kID && !supervisor.Running(p.Kubelet, kID):
			p.Kubelet = pid
		case id == kpID && !supervisor.Running(p.KubeProxy, kpID):
			p.KubeProxy = pid
		}
	}
	host := kubeletHost{
		mode: cg.Mode(),
		view: s.machineView(supervisor.Running(p.Containerd, cmID) || supervisor.Running(p.Kubelet, kID)),
	}
	files := map[string]string{
		s.path("containerd", "config.toml"):        s.containerdConfig(),
		s.path("cni", "net.d", "10-keks.conflist"): s.cniConfig(),
		s.path("kubelet", "config.yaml"):           s.kubeletConfig(host),
		s.path("kubelet", "kubeconfig"):            s.kubeletKubeconfig(),
		s.path("kube-proxy", "config.yaml"):        s.kubeProxyConfig(),
		s.path("aws", "config"):                    s.AWSConfig,
	}
	for name, content := range s.registryHosts() {
		files[s.path(name)] = content
	}
	if s.Registry != "" {
		files[s.path("kubelet", "credential-providers.yaml")] = s.credentialProviders()
	}
	for path, content := range files {
		if err := pki.WriteFileIfChanged(path, []byte(content), 0o600); err != nil {
			return p, err
		}
	}
	// Instances of an older keks were handed their role's keys in a file;
	// now they ask the metadata service, and the keys go.
	if err := os.Remove(s.awsCredentialsFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return p, fmt.Errorf("remove the old credentials file of %s: %w", s.ID, err)
	}
	// containerd and the kubelet share the view: the kubelet names pod
	// cgroups and volume mounts as it sees them, and containerd must find
	// them there.
	daemonNS := []string{"--net=" + nsPath(s.netns()), "--"}
	if host.view {
		if err := writeMachineFiles(s); err != nil {
			return p, err
		}
		cgroupBinds, err := cg.RootBinds(s.cgroupRoot())
		if err != nil {
			return p, err
		}
		fresh := !hasMountNS(s.mountNS())
		binds := append(cgroupBinds, s.machineBinds()...)
		if fresh {
			kubeletBind, err := s.kubeletRootBind()
			if err != nil {
				return p, err
			}
			binds = append(binds, kubeletBind)
		}
		if err := ensureMountNS(ctx, s, binds); err != nil {
			return p, err
		}
		if fresh {
			// Shared, as on a node booted by systemd: Bidirectional
			// propagation (CSI node plugins) needs it.
			if out, err := exec.CommandContext(ctx, "nsenter", "--mount="+s.mountNS(), "--", "mount", "--make-shared", viewKubeletRoot).CombinedOutput(); err != nil {
				_ = removeMountNS(s.mountNS())
				return p, fmt.Errorf("share the kubelet root of %s: %w: %s", s.ID, err, strings.TrimSpace(string(out)))
			}
			if err := os.WriteFile(s.kubeletRootInViewMarker(), nil, 0o644); err != nil {
				return p, fmt.Errorf("mark the kubelet root of %s: %w", s.ID, err)
			}
		}
		if err := ensureCgroupNS(ctx, s, cgroupBinds); err != nil {
			return p, err
		}
		// Entering a mount namespace moves to its root directory; --wdns
		// keeps the daemons in the instance's directory, as on the host.
		daemonNS = []string{"--net=" + nsPath(s.netns()), "--mount=" + s.mountNS(), "--cgroup=" + s.cgroupNS(), "--wdns=" + s.Dir, "--"}
	}
	if !supervisor.Running(p.Containerd, cmID) {
		// The node runtime's directory leads containerd's PATH, where it
		// and its shims look for what they run.
		pid, err := supervisor.Start(supervisor.Spec{ID: cmID, Path: "nsenter", Args: append(slices.Clone(daemonNS), filepath.Join(s.RuntimeDir, "containerd"), "--config", s.path("containerd", "config.toml")),
			Env: []string{"PATH=" + s.RuntimeDir + ":" + os.Getenv("PATH")}, Dir: s.Dir, LogFile: s.path("logs", "containerd.log")})
		if err != nil {
			return p, err
		}
		p.Containerd = pid
		if err := waitForSocket(ctx, s.socket()); err != nil {
			return p, err
		}
		if err := importImages(ctx, s); err != nil {
			return p, err
		}
	}
	if !supervisor.Running(p.Kubelet, kID) {
		args := append(slices.Clone(daemonNS), filepath.Join(s.K8sBinDir, "kubelet"),
			"--config="+s.path("kubelet", "config.yaml"),
			"--kubeconfig="+s.path("kubelet", "kubeconfig"),
			"--root-dir="+s.kubeletRootFor(host.view),
			"--hostname-override="+s.Name(),
			"--node-ip="+s.Address.Addr().String(),
			"--node-labels="+s.nodeLabels(),
		)
		if len(s.Taints) > 0 {
			args = append(args, "--register-with-taints="+strings.Join(s.Taints, ","))
		}
		if s.Registry != "" {
			args = append(args, "--image-credential-provider-config="+s.path("kubelet", "credential-providers.yaml"),
				"--image-credential-provider-bin-dir="+filepath.Dir(s.KeksBinary))
		}
		pid, err := supervisor.Start(supervisor.Spec{ID: kID, Path: "nsenter", Args: args, Dir: s.Dir, LogFile: s.path("logs", "kubelet.log")})
		if err != nil {
			return p, err
		}
		p.Kubelet = pid
	}
	// kube-proxy needs only the instance's network: it makes no mounts or cgroups.
	if p, err = runKubeProxy(ctx, s, p, []string{"--net=" + nsPath(s.netns()), "--"}); err != nil {
		return p, err
	}
	return p, ensureSSHD(ctx, s, host.view)
}

// runKubeProxy runs kube-proxy beside the kubelet while the cluster has the
// kube-proxy add-on, and stops it and removes its rules when it has not.
func runKubeProxy(ctx context.Context, s *Spec, p Processes, nsenter []string) (Processes, error) {
	_, _, kpID := s.markers()
	running := supervisor.Running(p.KubeProxy, kpID)
	switch {
	case s.KubeProxy && !running:
		args := append(slices.Clone(nsenter), filepath.Join(s.K8sBinDir, "kube-proxy"), "--config="+s.path("kube-proxy", "config.yaml"))
		pid, err := supervisor.Start(supervisor.Spec{ID: kpID, Path: "nsenter", Args: args, Dir: s.Dir, LogFile: s.path("logs", "kube-proxy.log")})
		if err != nil {
			return p, err
		}
		p.KubeProxy = pid
	case !s.KubeProxy && running:
		if err := supervisor.Stop(ctx, p.KubeProxy, kpID, 10*time.Second); err != nil {
			return p, err
		}
		args := append(slices.Clone(nsenter), filepath.Join(s.K8sBinDir, "kube-proxy"), "--cleanup")
		if out, err := exec.CommandContext(ctx, "nsenter", args...).CombinedOutput(); err != nil {
			return p, fmt.Errorf("kube-proxy --cleanup on %s: %w: %s", s.ID, err, out)
		}
		p.KubeProxy = 0
	}
	return p, nil
}

func waitForSocket(ctx context.Context, path string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("containerd socket %s did not appear", path)
}

// Delete removes all of an instance, in the order that leaves nothing:
// pod sandboxes through the kubelet's runtime first, then the daemons,
// mounts, the network namespace, the veth, cgroups and files.
func Delete(ctx context.Context, s *Spec, p Processes) error {
	cmID, kID, _ := s.markers()
	// Find the daemons by marker too, in case the recorded pids are stale.
	for pid, id := range supervisor.Find("instance/" + s.ID + "/") {
		switch id {
		case kID:
			p.Kubelet = pid
		case cmID:
			p.Containerd = pid
		}
	}
	// The kubelet first, or it would start again the sandboxes removed below.
	if err := supervisor.Stop(ctx, p.Kubelet, kID, 10*time.Second); err != nil {
		return err
	}
	stopPods(ctx, s)
	if err := supervisor.Stop(ctx, p.Containerd, cmID, 10*time.Second); err != nil {
		return err
	}
	for pid, id := range supervisor.Find("instance/" + s.ID + "/") {
		if err := supervisor.Stop(ctx, pid, id, 5*time.Second); err != nil {
			return err
		}
	}
	killShims(s)
	// sshd retitles itself, losing its marker, and ec2-user's sessions
	// never had one: whatever still runs in the instance's network goes.
	if err := stopSSHD(ctx, s); err != nil {
		return err
	}
	if err := killInNetns(ctx, s, func(int) bool { return true }); err != nil {
		return err
	}
	// With its daemons gone, the mount namespace goes, and with it the
	// mounts made inside; unmountUnder finds those made on the host by
	// instances that ran without one.
	for _, ns := range []string{s.mountNS(), s.cgroupNS()} {
		if err := removeMountNS(ns); err != nil {
			return err
		}
	}
	releaseNamespaceDir()
	unmountUnder(s.Dir)
	unmountUnder(s.runDir())
	unmountUnder(filepath.Dir(s.kubeletRoot()))
	if err := deleteNetns(s.netns()); err != nil {
		return err
	}
	if err := network.DeleteLink(s.hostVeth()); err != nil {
		return err
	}
	unroutePods(s)
	cg, err := hostCgroups()
	if err != nil {
		return err
	}
	if err := removeCgroups(cg, s); err != nil {
		return err
	}
	for _, d := range []string{s.Dir, s.runDir(), filepath.Dir(s.kubeletRoot())} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove %s: %w", d, err)
		}
	}
	return nil
}

// stopPods stops and removes every pod sandbox through containerd's CRI, so
// CNI releases addresses, veths, iptables rules and pod network namespaces
// before containerd goes.
func stopPods(ctx context.Context, s *Spec) {
	conn, err := grpc.NewClient("unix://"+s.socket(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return
	}
	defer conn.Close()
	rt := cri.NewRuntimeServiceClient(conn)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := rt.ListPodSandbox(cctx, &cri.ListPodSandboxRequest{})
	if err != nil {
		return
	}
	for _, sb := range list.Items {
		_, _ = rt.StopPodSandbox(cctx, &cri.StopPodSandboxRequest{PodSandboxId: sb.Id})
		_, _ = rt.RemovePodSandbox(cctx, &cri.RemovePodSandboxRequest{PodSandboxId: sb.Id})
	}
}

// killShims stops containerd-shim processes left for the instance's tasks.
func killShims(s *Spec) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && strings.Contains(string(cmd), "containerd-shim") && strings.Contains(string(cmd), s.socket()) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// unmountUnder unmounts everything mounted below dir, deepest first.
func unmountUnder(dir string) {
	var mounts []string
	for _, m := range mountPoints() {
		if strings.HasPrefix(m, dir) {
			mounts = append(mounts, m)
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}

// Alive reports whether an instance's daemons all run: containerd, the
// kubelet and, when the instance has them, kube-proxy and sshd.
func Alive(s *Spec, p Processes) bool {
	cm, k, kp := s.markers()
	return supervisor.Running(p.Containerd, cm) && supervisor.Running(p.Kubelet, k) &&
		(!s.KubeProxy || supervisor.Running(p.KubeProxy, kp)) && sshdRunning(s)
}
