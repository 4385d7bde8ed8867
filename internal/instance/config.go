package instance

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/keksdev/keks/internal/cgroups"
)

// containerdConfig is containerd 2.4's configuration (version 4) for one
// instance: its own root, state and sockets (containerd also reads the
// host's drop-in files, /etc/containerd/conf.d, and no setting stops it);
// the CRI plugin's sandbox image pinned, registries from the instance's
// hosts directory (credentials come with each pull from the kubelet's
// credential provider, credentialProviders), the runc shim and runc of keks's node runtime, the CNI
// configuration of the instance, and restrict_oom_score_adj because the
// host withholds CAP_SYS_RESOURCE (pod sandboxes fail without it).
func (s *Spec) containerdConfig() string {
	return fmt.Sprintf(`version = 4
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.erofs", "io.containerd.snapshotter.v1.blockfile"]

[plugins."io.containerd.server.v1.grpc"]
  address = %q

[plugins."io.containerd.server.v1.ttrpc"]
  address = %q

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %q
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = %q

[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = %q
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = %q
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = %q
`, s.path("containerd", "root"), s.path("containerd", "state"), s.socket(), s.socket()+".ttrpc", PauseImage,
		s.path("containerd", "certs.d"),
		filepath.Join(s.RuntimeDir, "containerd-shim-runc-v2"), filepath.Join(s.RuntimeDir, "runc"), s.path("cni", "net.d"))
}

// mirroredRegistries are the registries whose pulls go to keks's
// registry: no other registry is reachable from these machines.
func (s *Spec) mirroredRegistries() []string {
	return []string{s.Registry, "docker.io", "registry.k8s.io"}
}

// registryHosts are the instance's containerd hosts files
// (certs.d/<registry>/hosts.toml, relative to the instance's directory):
// each mirrored registry is served by keks's registry, trusted with keks's
// CA.
func (s *Spec) registryHosts() map[string]string {
	files := map[string]string{}
	if s.Registry == "" {
		return files
	}
	for _, host := range s.mirroredRegistries() {
		// docker.io's hosts file names its real server, as containerd's docs do.
		server := "https://" + host
		if host == "docker.io" {
			server = "https://registry-1.docker.io"
		}
		files[filepath.Join("containerd", "certs.d", host, "hosts.toml")] = fmt.Sprintf(`server = %q

[host.%q]
  capabilities = ["pull", "resolve"]
  ca = %q
`, server, "https://"+s.Registry, s.RegistryCA)
	}
	return files
}

// credentialProviders is the kubelet's image credential provider
// configuration: for images of the mirrored registries it runs
// `keks ecr-credential-provider`, which logs in to keks's registry as the
// instance's role (its credentials from the metadata service), as EKS's
// AMIs run ecr-credential-provider for ECR's. It calls ECR at the registry
// address, where instances reach keks's AWS APIs.
func (s *Spec) credentialProviders() string {
	var match []string
	for _, r := range s.mirroredRegistries() {
		match = append(match, fmt.Sprintf("%q", r))
	}
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
- name: %s
  apiVersion: credentialprovider.kubelet.k8s.io/v1
  matchImages: [%s]
  defaultCacheDuration: 1h
  args: [ecr-credential-provider, --profile, instance, --endpoint-url, %q]
  env:
  - {name: AWS_CONFIG_FILE, value: %s}
  - {name: AWS_SHARED_CREDENTIALS_FILE, value: %s}
`, filepath.Base(s.KeksBinary), strings.Join(match, ", "), "https://"+s.Registry, s.path("aws", "config"), s.awsCredentialsFile())
}

// PauseImage is the sandbox image every node has imported.
const PauseImage = "registry.k8s.io/pause:3.10"

func (s *Spec) cniConfig() string {
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "keks",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": %q}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, s.PodCIDR, s.path("cni", "ipam"))
}

// kubeletHost is what an instance's kubelet runs on: the host's cgroup
// mode, and whether it runs in the instance's machine view (machine.go).
type kubeletHost struct {
	mode cgroups.Mode
	view bool
}

// kubeletConfig uses the cgroupfs driver in every mode: keks makes the
// instance's cgroup itself, outside any systemd slice. Kubelet 1.37 refuses
// to start on cgroup v1 unless failCgroupV1 is false. In the machine view
// the instance's cgroup is the root of every hierarchy the kubelet sees;
// otherwise its cgroup root is the instance's cgroup on the host.
func (s *Spec) kubeletConfig(h kubeletHost) string {
	cgroupRoot, failCgroupV1 := s.cgroupRoot(), ""
	if h.view {
		cgroupRoot = "/"
	}
	if h.mode != cgroups.Unified {
		failCgroupV1 = "failCgroupV1: false\n"
	}
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
%scgroupDriver: cgroupfs
cgroupRoot: %s
cgroupsPerQOS: true
address: %s
readOnlyPort: 0
providerID: %s
containerRuntimeEndpoint: unix://%s
podLogsDir: %s
clusterDNS: [%s]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
maxPods: %d
serializeImagePulls: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization:
  mode: Webhook
evictionHard:
  memory.available: "50Mi"
  nodefs.available: "1%%"
  imagefs.available: "1%%"
  nodefs.inodesFree: "1%%"
failSwapOn: false
%s`, failCgroupV1, cgroupRoot, s.Address.Addr(), s.ProviderID(), s.socket(), s.path("pod-logs"), s.ClusterDNS, s.MaxPods, s.CAFile, s.reserved(h.view))
}

// reserved makes the node's allocatable resources those of its instance
// type: the instance type's share is reserved for the kubelet as the EKS
// AMI does (memory: 255 MiB + 11 MiB per pod; CPU: 6 % of the first core,
// 1 % of the second, 0.5 % of the next two, 0.25 % of the rest). In the
// machine view the kubelet's capacity is the instance type already;
// without it the kubelet sees the whole host, so what the host has beyond
// the instance type is reserved for "the system".
func (s *Spec) reserved(view bool) string {
	if s.MemoryBytes == 0 || s.CPUs == 0 {
		return ""
	}
	if s.NoReserve && view {
		return s.storageReserved()
	}
	hostMem, hostCPUs := hostMemoryBytes(), runtime.NumCPU()
	cores := min(s.CPUs, hostCPUs)
	if view {
		cores = s.CPUs
	}
	kubeMemMi := 255 + 11*s.MaxPods
	kubeCPUm := 0
	for core := 1; core <= cores; core++ {
		switch {
		case core == 1:
			kubeCPUm += 60
		case core == 2:
			kubeCPUm += 10
		case core <= 4:
			kubeCPUm += 5
		default:
			kubeCPUm += 2
		}
	}
	out := fmt.Sprintf("kubeReserved:\n  cpu: %dm\n  memory: %dMi\n", kubeCPUm, kubeMemMi)
	if view {
		return out
	}
	var sys []string
	if extra := hostMem - s.MemoryBytes; extra > 0 {
		sys = append(sys, fmt.Sprintf("  memory: %dMi\n", extra>>20))
	}
	if extra := hostCPUs - s.CPUs; extra > 0 {
		sys = append(sys, fmt.Sprintf("  cpu: %d\n", extra))
	}
	if len(sys) > 0 {
		out += "systemReserved:\n" + strings.Join(sys, "")
	}
	return out
}

// hostMemoryBytes is MemTotal of /proc/meminfo.
func hostMemoryBytes() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// kubeletKubeconfig authenticates the kubelet with `keks get-token`,
// whose profile "instance" takes the role's credentials from the metadata
// service. AWS_SHARED_CREDENTIALS_FILE names the instance's own file, which
// keks keeps absent, so the host's ~/.aws/credentials is never read; it is
// kept in the kubeconfig so kubelets started by an older keks, which read
// their exec plugin's environment once, switch with nothing restarted.
func (s *Spec) kubeletKubeconfig() string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: cluster
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: node
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: %s
      args: [get-token, --cluster-name, %s, --profile, instance]
      env:
      - {name: AWS_CONFIG_FILE, value: %s}
      - {name: AWS_SHARED_CREDENTIALS_FILE, value: %s}
      interactiveMode: Never
contexts:
- name: default
  context: {cluster: cluster, user: node}
current-context: default
`, s.Endpoint, s.CAFile, s.KeksBinary, s.ClusterName, s.path("aws", "config"), s.awsCredentialsFile())
}

func (s *Spec) nodeLabels() string {
	var l []string
	for k, v := range s.Labels {
		l = append(l, k+"="+v)
	}
	return strings.Join(l, ",")
}

// kubeProxyConfig runs kube-proxy in iptables mode with the node's identity.
// conntrack sizes are left alone: the node shares the host's kernel.
func (s *Spec) kubeProxyConfig() string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %s
mode: iptables
clusterCIDR: %s
hostnameOverride: %s
bindAddress: %s
healthzBindAddress: %s:10256
metricsBindAddress: %s:10249
conntrack:
  maxPerCore: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, s.path("kubelet", "kubeconfig"), s.ClusterCIDR, s.Name(), s.Address.Addr(), s.Address.Addr(), s.Address.Addr())
}

// storageReserved reserves what the kubelet's disk holds beyond
// EphemeralStorageBytes, so that pods are offered that much.
func (s *Spec) storageReserved() string {
	if s.EphemeralStorageBytes == 0 {
		return ""
	}
	// The kubelet's root may not exist yet: its nearest parent that does
	// is on the same disk.
	var st syscall.Statfs_t
	dir := s.kubeletRoot()
	for syscall.Statfs(dir, &st) != nil {
		if dir == "/" {
			return ""
		}
		dir = filepath.Dir(dir)
	}
	// The kubelet holds back nodefs.available (1 %, evictionHard above) too.
	total := int64(st.Blocks) * st.Bsize
	if extra := total - total/100 - s.EphemeralStorageBytes; extra > 0 {
		return fmt.Sprintf("systemReserved:\n  ephemeral-storage: %dMi\n", extra>>20)
	}
	return ""
}
