package controlplane

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// TestKubernetesPlacement: on the kubernetes runtime, every member's
// flags name only paths its pod has (the Secret's documents, which the
// bundle holds every one of, its volume, its scratch directories), etcd
// members are reached by their DNS names and listen on every address, API
// servers advertise the endpoint and reach the cluster through the egress
// proxy, and the member certificates name what their clients dial.
func TestKubernetesPlacement(t *testing.T) {
	lockGoldenRoot(t)
	keksCA := filepath.Join(goldenRoot, "keks-ca.crt")
	if err := os.WriteFile(keksCA, goldenSecrets(t).FrontProxyCert, 0o644); err != nil { // any fixed certificate
		t.Fatal(err)
	}
	c := goldenController(t, keksCA)
	for _, gc := range []goldenCase{{name: "base", version: "1.37"}, {name: "encryption", version: "1.37", encryption: true}, {name: "logging", version: "1.37", logging: true}} {
		t.Run(gc.name, func(t *testing.T) {
			cl := goldenCluster(gc)
			v, _ := kubeversions.Lookup(gc.version)
			pl := kubePlacement{namespace: "keks-" + cl.UID, endpoint: "198.19.128.1", egress: "https://198.19.255.254:8131"}
			b, err := c.bundle(pl, cl, goldenSecrets(t), func(string) ([]byte, error) { return nil, errNotPublished })
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, d := range documentNames(b) {
				have[d] = true
				if documentName(secretKey(d)) != d {
					t.Errorf("document %s does not survive its Secret key %s", d, secretKey(d))
				}
			}
			members := c.members(pl, cl, v, b)
			for _, m := range members {
				for flag, value := range m.Flags {
					for _, part := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == '=' || r == rune(repeatFlag[0]) }) {
						switch {
						case strings.HasPrefix(part, kubeDocs+"/"):
							if doc := strings.TrimPrefix(part, kubeDocs+"/"); !have[doc] {
								t.Errorf("%s --%s names %s, which the bundle lacks", m.name, flag, doc)
							}
						case strings.HasPrefix(part, "/") && !strings.HasPrefix(part, kubeEtcdDir) && !strings.HasPrefix(part, kubeLogs) && !strings.HasPrefix(part, kubeRun):
							t.Errorf("%s --%s names %s, which its pod does not have", m.name, flag, part)
						}
					}
				}
				switch m.role {
				case RoleEtcd:
					if m.Flags["listen-client-urls"] != "https://0.0.0.0:2379" || !strings.Contains(m.Flags["advertise-client-urls"], ".etcd.keks-"+cl.UID+".svc.cluster.local") {
						t.Errorf("%s listens on %s, advertises %s", m.name, m.Flags["listen-client-urls"], m.Flags["advertise-client-urls"])
					}
				case RoleAPIServer:
					if m.Flags["advertise-address"] != "198.19.128.1" || m.Flags["bind-address"] != "0.0.0.0" || m.Flags["egress-selector-config-file"] == "" {
						t.Errorf("%s: advertise %s, bind %s, egress %q", m.name, m.Flags["advertise-address"], m.Flags["bind-address"], m.Flags["egress-selector-config-file"])
					}
				}
			}
			if !strings.Contains(string(b.Documents[egressSelectorDoc].Data), "url: https://198.19.255.254:8131") {
				t.Errorf("egress selector: %s", b.Documents[egressSelectorDoc].Data)
			}
			// The etcd members' certificates name each member's DNS name.
			for _, l := range b.Leaves {
				if l.Name == "etcd-a" && !slices.Contains(l.Leaf.DNSNames, pl.EtcdMembers()[2]) {
					t.Errorf("etcd-a's certificate names %v", l.Leaf.DNSNames)
				}
				if l.Name == "apiserver-a" && !slices.ContainsFunc(l.Leaf.IPs, func(ip net.IP) bool { return ip.String() == "198.19.128.1" }) {
					t.Errorf("apiserver-a's certificate names %v", l.Leaf.IPs)
				}
			}

			groups := groupsOf(members)
			var names []string
			for _, g := range groups {
				names = append(names, g.name)
			}
			if strings.Join(names, " ") != "etcd-a etcd-b etcd-c apiserver-a apiserver-b" {
				t.Fatalf("workloads %v", names)
			}
			docs := documentNames(b)
			t1, h1 := podTemplate(cl, groups[3], "registry/keks/control-plane@sha256:1", docs)
			_, h2 := podTemplate(cl, groups[3], "registry/keks/control-plane@sha256:1", docs)
			_, h3 := podTemplate(cl, groups[3], "registry/keks/control-plane@sha256:2", docs)
			if h1 != h2 || h1 == h3 {
				t.Errorf("template hashes: same input %s %s, new image %s", h1, h2, h3)
			}
			var containers []string
			for _, ct := range t1.Spec.Containers {
				containers = append(containers, ct.Name)
				// What kube-apiserver asks while it drains outlives the pod's deletion.
				outlives := ct.Lifecycle != nil && ct.Lifecycle.PreStop != nil && ct.Lifecycle.PreStop.Sleep != nil &&
					ct.Lifecycle.PreStop.Sleep.Seconds > int64(apiServerShutdownDelay/time.Second)
				if (ct.Name == RoleAuthenticator || ct.Name == RoleKMSPlugin) != outlives {
					t.Errorf("container %s: preStop %+v", ct.Name, ct.Lifecycle)
				}
			}
			want := "authenticator kube-apiserver kube-controller-manager kube-scheduler"
			if gc.encryption {
				want = "authenticator kms-plugin kube-apiserver kube-controller-manager kube-scheduler"
			}
			slices.Sort(containers)
			if strings.Join(containers, " ") != want {
				t.Errorf("API server pod's containers: %v", containers)
			}
		})
	}
}

var errNotPublished = &notPublished{}

type notPublished struct{}

func (*notPublished) Error() string { return "not published" }

// TestKubernetesMemberHealth: a member is healthy once a pod of its
// workload is ready and every pod it keeps runs the workload's current
// configuration; an old pod that still answers right after a change does
// not count, so the next member does not roll at the same time.
func TestKubernetesMemberHealth(t *testing.T) {
	pod := func(hash string, ready, stopping bool) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{annotationHash: hash}, Labels: map[string]string{labelVersion: "1.37.2"}}}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
		p.Status.StartTime = &metav1.Time{Time: time.Now().Add(-time.Minute)}
		if stopping {
			p.DeletionTimestamp = &metav1.Time{Time: time.Now()}
		}
		return p
	}
	k := &kubeRuntime{}
	for _, tc := range []struct {
		name    string
		role    string
		pods    []corev1.Pod
		healthy bool
		hash    string
	}{
		{"old pod still answering", RoleEtcd, []corev1.Pod{pod("old", true, false)}, false, "old"},
		{"rolled", RoleEtcd, []corev1.Pod{pod("new", true, false)}, true, "new"},
		{"surge: new ready, old stopping", RoleAPIServer, []corev1.Pod{pod("old", true, true), pod("new", true, false)}, true, "new"},
		{"surge: new starting", RoleAPIServer, []corev1.Pod{pod("old", true, false), pod("new", false, false)}, false, "was"},
		{"no pod", RoleAPIServer, nil, false, "was"},
	} {
		inst := &Instance{Name: "x-a", Role: tc.role, ConfigHash: "was"}
		k.podHealth(inst, tc.pods, "new")
		if inst.Healthy != tc.healthy || inst.ConfigHash != tc.hash {
			t.Errorf("%s: healthy %v, hash %s; want %v, %s", tc.name, inst.Healthy, inst.ConfigHash, tc.healthy, tc.hash)
		}
	}
}

// TestKubernetesRequestsFollowTheTier: the standard tier asks for the
// measured figures; a larger tier asks for more, never less.
func TestKubernetesRequestsFollowTheTier(t *testing.T) {
	standard, _ := eks.LookupScalingTier("")
	want := map[string]string{RoleAPIServer: "50m 192Mi", RoleEtcd: "20m 64Mi", RoleScheduler: "10m 48Mi", RoleControllerManager: "10m 48Mi"}
	for role, w := range want {
		r := requests(role, standard)
		if got := r.Cpu().String() + " " + r.Memory().String(); got != w {
			t.Errorf("standard %s requests %s, want %s", role, got, w)
		}
	}
	prev := map[string]corev1.ResourceList{}
	for _, tier := range eks.ScalingTiers {
		for role := range want {
			r := requests(role, tier)
			if p, ok := prev[role]; ok && (r.Cpu().Cmp(*p.Cpu()) < 0 || r.Memory().Cmp(*p.Memory()) < 0) {
				t.Errorf("%s asks for less for %s than the tier below: %v < %v", tier.Name, role, r, p)
			}
			prev[role] = r
		}
	}
	xl, _ := eks.LookupScalingTier("tier-xl")
	if r := requests(RoleAPIServer, xl); r.Memory().Value() <= 192<<20 {
		t.Errorf("tier-xl's API server asks for %s, no more than standard's", r.Memory())
	}
	if r := requests(RoleEtcd, xl); r.Memory().String() != "512Mi" {
		t.Errorf("tier-xl's etcd asks for %s, want 512Mi (a 32nd of its 16 GiB quota)", r.Memory())
	}
}

// TestKubernetesUpgradeRollsOnAfterTheFirstMember: an upgrade changes every
// member's wanted configuration at once, but only the rolled workload's
// pods are waited for; the others, still on the configuration their
// workloads carry, stay healthy, so the next member can roll.
func TestKubernetesUpgradeRollsOnAfterTheFirstMember(t *testing.T) {
	const uid = "u1"
	ns := namespaceOf(uid)
	pod := func(name, member, hash string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Labels:      map[string]string{labelMember: member, labelVersion: "1.36.3"},
			Annotations: map[string]string{annotationHash: hash}},
			Status: corev1.PodStatus{StartTime: &metav1.Time{Time: time.Now().Add(-time.Minute)},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	}
	client := fake.NewClientset(pod("etcd-a-0", "etcd-a", "etcd-a-new"), pod("etcd-b-0", "etcd-b", "etcd-b-old"), pod("apiserver-a-1", "apiserver-a", "api-a-old"))
	k := &kubeRuntime{client: client, log: slog.New(slog.DiscardHandler), mirror: &logMirror{clusters: map[string]*mirroredCluster{}},
		logging: map[string]bool{}, hashes: map[string]string{}, applied: map[string]string{}}
	for workload, hash := range map[string]string{"etcd-a": "etcd-a-new", "etcd-b": "etcd-b-new", "apiserver-a": "api-a-new"} {
		k.hashes[uid+"/"+workload] = hash // what keks wants: all changed
	}
	k.setApplied(uid, "etcd-a", "etcd-a-new") // rolled
	k.setApplied(uid, "etcd-b", "etcd-b-old")
	k.setApplied(uid, "apiserver-a", "api-a-old")
	st := &State{ClusterUID: uid, Instances: []Instance{
		{Name: "etcd-a", Role: RoleEtcd}, {Name: "etcd-b", Role: RoleEtcd}, {Name: "kube-apiserver-a", Role: RoleAPIServer}}}
	k.Health(context.Background(), st)
	for _, inst := range st.Instances {
		if !inst.Healthy {
			t.Errorf("%s is not healthy", inst.Name)
		}
	}
	if got, want := st.Instances[1].ConfigHash, "etcd-b-old"; got != want {
		t.Errorf("etcd-b runs %s, want %s (not yet rolled)", got, want)
	}
	// The next member is rolled: until its pod runs the new configuration,
	// it is not healthy, so nothing else rolls meanwhile.
	k.setApplied(uid, "etcd-b", "etcd-b-new")
	k.Health(context.Background(), st)
	if st.Instances[1].Healthy {
		t.Error("etcd-b is healthy while its old pod still runs")
	}
}

// TestKubernetesEndpointSources: the endpoint Service admits what the host
// runtime's endpoint admits, keks's own address being its source toward
// the endpoint; before the endpoint has an address, it names no ranges.
func TestKubernetesEndpointSources(t *testing.T) {
	cfg := Config{VPCCIDR: func(string) string { return "10.20.0.0/16" }}
	k := &kubeRuntime{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	cl := &eks.Cluster{Name: "c", Spec: eks.ClusterSpec{VPCID: "vpc-1", EndpointPublicAccess: false, EndpointPrivateAccess: true}}
	ranges := func(st *State) []string {
		for _, obj := range frameObjects("keks-u", cl, k.endpointSources(cl, st)) {
			if svc, ok := obj.object.(*corev1.Service); ok && svc.Name == endpointService {
				return svc.Spec.LoadBalancerSourceRanges
			}
		}
		t.Fatal("no endpoint Service")
		return nil
	}
	if got := ranges(&State{}); got != nil {
		t.Errorf("before the endpoint has an address: %v, want none", got)
	}
	got := ranges(&State{Endpoint: "127.0.0.1"})
	want := []string{"127.0.0.1/32", "10.20.0.0/16", ec2.PodNetworkOf("10.20.0.0/16")}
	if !slices.Equal(got, want) {
		t.Errorf("private only: %v, want %v", got, want)
	}
	cl.Spec.EndpointPublicAccess, cl.Spec.PublicAccessCIDRs = true, []string{"203.0.113.0/24"}
	if got := ranges(&State{Endpoint: "127.0.0.1"}); !slices.Contains(got, "203.0.113.0/24") || !slices.Contains(got, "127.0.0.1/32") {
		t.Errorf("public and private: %v", got)
	}
}
