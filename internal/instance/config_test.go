package instance

import (
	"net/netip"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/cgroups"
)

func TestReservedGivesTheInstanceTypesAllocatable(t *testing.T) {
	s := &Spec{MemoryBytes: 4096 << 20, CPUs: 2, MaxPods: 17}
	for _, view := range []bool{false, true} {
		got := s.reserved(view)
		// The EKS AMI's reservation for a t3.medium: 70m CPU, 255 + 11 x 17 MiB.
		if !strings.Contains(got, "cpu: 70m") || !strings.Contains(got, "memory: 442Mi") {
			t.Errorf("kubeReserved for a t3.medium (view %v):\n%s", view, got)
		}
	}
	if got := s.reserved(false); hostMemoryBytes() > s.MemoryBytes && !strings.Contains(got, "systemReserved:") {
		t.Errorf("without the machine view, the host's memory beyond the instance type is not reserved:\n%s", got)
	}
	// In the view, capacity is the instance type's: nothing is the host's.
	if got := s.reserved(true); strings.Contains(got, "systemReserved:") {
		t.Errorf("the machine view reserves the host's resources:\n%s", got)
	}
	if (&Spec{}).reserved(false) != "" || (&Spec{}).reserved(true) != "" {
		t.Error("an instance without a type reserves something")
	}
}

func TestReservedInTheViewCountsEveryVCPU(t *testing.T) {
	// An m5.4xlarge has more vCPUs than the host may have: 60 + 10 + 2 x 5 + 12 x 2 millicores.
	s := &Spec{MemoryBytes: 64 << 30, CPUs: 16, MaxPods: 234}
	if got := s.reserved(true); !strings.Contains(got, "cpu: 104m") {
		t.Errorf("kubeReserved for 16 vCPUs:\n%s", got)
	}
}

func TestKubeletConfigForEachCgroupMode(t *testing.T) {
	s := &Spec{ID: "i-0123456789abcdef0", Zone: "us-east-1a", Address: netip.MustParsePrefix("10.0.1.10/24"), MemoryBytes: 4 << 30, CPUs: 2, MaxPods: 17}
	for _, tc := range []struct {
		host             kubeletHost
		cgroupRoot       string
		failCgroupV1     bool // the key is there, set to false
		systemReservedOK bool // the host beyond the instance type may be reserved
	}{
		{kubeletHost{mode: cgroups.V1}, "/keks/i-0123456789abcdef0", true, true},
		{kubeletHost{mode: cgroups.Hybrid}, "/keks/i-0123456789abcdef0", true, true},
		{kubeletHost{mode: cgroups.Unified}, "/keks/i-0123456789abcdef0", false, true},
		{kubeletHost{mode: cgroups.V1, view: true}, "/", true, false},
		{kubeletHost{mode: cgroups.Hybrid, view: true}, "/", true, false},
		{kubeletHost{mode: cgroups.Unified, view: true}, "/", false, false},
	} {
		t.Run(tc.host.mode.String()+map[bool]string{true: " view"}[tc.host.view], func(t *testing.T) {
			text := s.kubeletConfig(tc.host)
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
				t.Fatalf("kubelet config is no YAML: %v\n%s", err, text)
			}
			if cfg["cgroupDriver"] != "cgroupfs" || cfg["cgroupRoot"] != tc.cgroupRoot || cfg["cgroupsPerQOS"] != true {
				t.Errorf("cgroupDriver %v, cgroupRoot %v, cgroupsPerQOS %v; want cgroupfs, %s, true", cfg["cgroupDriver"], cfg["cgroupRoot"], cfg["cgroupsPerQOS"], tc.cgroupRoot)
			}
			v, ok := cfg["failCgroupV1"]
			if ok != tc.failCgroupV1 || (ok && v != false) {
				t.Errorf("failCgroupV1 = %v (set: %v)", v, ok)
			}
			if _, ok := cfg["kubeReserved"]; !ok {
				t.Error("no kubeReserved")
			}
			if _, ok := cfg["systemReserved"]; ok && !tc.systemReservedOK {
				t.Error("systemReserved in the machine view")
			}
		})
	}
}

// TestCredentialProvidersRunKeksForTheMirroredRegistries: the kubelet runs
// the keks binary (by its name in its directory) for images of keks's
// registry and of the registries it mirrors, with the instance's profile.
func TestCredentialProvidersRunKeksForTheMirroredRegistries(t *testing.T) {
	s := &Spec{Dir: "/var/lib/keks/instances/i-1", KeksBinary: "/opt/keks/bin/keks2", Registry: "198.19.255.254"}
	var cfg struct {
		APIVersion, Kind string
		Providers        []struct {
			Name, APIVersion     string
			DefaultCacheDuration string
			MatchImages          []string `json:"matchImages"`
			Args                 []string
			Env                  []struct{ Name, Value string }
		}
	}
	if err := yaml.UnmarshalStrict([]byte(s.credentialProviders()), &cfg); err != nil {
		t.Fatalf("%v:\n%s", err, s.credentialProviders())
	}
	p := cfg.Providers[0]
	if cfg.Kind != "CredentialProviderConfig" || len(cfg.Providers) != 1 || p.Name != "keks2" || p.APIVersion != "credentialprovider.kubelet.k8s.io/v1" ||
		strings.Join(p.MatchImages, " ") != "198.19.255.254 docker.io registry.k8s.io" || strings.Join(p.Args, " ") != "ecr-credential-provider --profile instance --endpoint-url https://198.19.255.254" ||
		len(p.Env) != 2 || p.Env[0].Value != "/var/lib/keks/instances/i-1/aws/config" {
		t.Fatalf("%+v", cfg)
	}
	// containerd itself holds no credentials any more.
	if strings.Contains(s.containerdConfig(), "auth") {
		t.Errorf("containerd's configuration carries credentials:\n%s", s.containerdConfig())
	}
}
