package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/kubeversions"
)

func TestSpecPutsTheInstanceUnderTheAgentsDataDir(t *testing.T) {
	env := testEnv(t)
	a := assigned("i-0123456789abcdef0")
	s, err := env.spec(&a)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := kubeversions.Lookup(kubeversions.Default)
	dir := filepath.Join(env.instancesDir, a.ID)
	if s.Dir != dir || s.CAFile != filepath.Join(dir, "cluster-ca.crt") || s.K8sBinDir != env.k8s.BinDir(v) ||
		s.RuntimeDir != env.k8s.NodeRuntimeDir() || s.KeksBinary != "/usr/local/bin/keks" || s.RegistryCA != env.keksCA {
		t.Errorf("paths: %+v", s)
	}
	if s.Address.String() != "172.31.0.10/20" || s.Gateway.String() != "172.31.0.1" || s.Bridge != a.Bridge ||
		s.DNSName() != "ip-172-31-0-10.ec2.internal" || s.ProviderID() != "aws:///us-east-1a/"+a.ID {
		t.Errorf("network and names: %+v", s)
	}
	if ca, err := os.ReadFile(s.CAFile); err != nil || string(ca) != testCAPEM {
		t.Errorf("cluster CA file: %q, %v", ca, err)
	}
	// The AWS profile is the one keks's node controller writes, with the
	// CA the agent pinned at join.
	if want := awsprofile.InstanceConfig("us-east-1", "https://192.0.2.1:4577", env.keksCA); s.AWSConfig != want {
		t.Errorf("AWS config:\n%s\nwant:\n%s", s.AWSConfig, want)
	}
	if !strings.Contains(s.AWSConfig, "credential_source = Ec2InstanceMetadata") || strings.Contains(s.AWSConfig, "aws_access_key_id") {
		t.Errorf("the instance's profile must take credentials from the metadata service: %s", s.AWSConfig)
	}
	// The assignment is kept, to delete the instance once keks forgets it.
	if got := env.saved(a.ID); got.Bridge != a.Bridge || got.PodCIDR != a.PodCIDR || got.Address != a.Address {
		t.Errorf("saved assignment: %+v", got)
	}
}

func TestSpecOfAMissingKubernetesVersionSaysHowToBuildIt(t *testing.T) {
	env := testEnv(t)
	a := assigned("i-0123456789abcdef0")
	a.KubernetesVersion = kubeversions.All()[0].Minor
	if a.KubernetesVersion == kubeversions.Default {
		t.Skip("the catalogue holds only the default version")
	}
	_, err := env.spec(&a)
	var u *unfit
	if !errors.As(err, &u) || !strings.Contains(u.reason, "keks build-kubernetes "+a.KubernetesVersion) || !strings.Contains(u.reason, "not built") {
		t.Errorf("want an unfit naming the build, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(env.instancesDir, a.ID)); err == nil {
		t.Error("an instance that cannot run got a directory")
	}
}

func TestSpecRefusesWhatCouldEscapeItsPlace(t *testing.T) {
	for name, change := range map[string]func(a *agents.AssignedInstance){
		"id with a path":        func(a *agents.AssignedInstance) { a.ID = "i-../../etc" },
		"short id":              func(a *agents.AssignedInstance) { a.ID = "i-0123" },
		"bridge not a subnet's": func(a *agents.AssignedInstance) { a.Bridge = "eth0" },
		"service range":         func(a *agents.AssignedInstance) { a.ServiceRanges = []string{"10.0.0.0/16 -j ACCEPT"} },
		"subnet":                func(a *agents.AssignedInstance) { a.SubnetCIDR = "" },
		"endpoint":              func(a *agents.AssignedInstance) { a.AWSEndpoint = "http://x" },
		"cluster CA":            func(a *agents.AssignedInstance) { a.ClusterCA = "nope" },
		"unknown version":       func(a *agents.AssignedInstance) { a.KubernetesVersion = "0.1" },
		"label with a newline":  func(a *agents.AssignedInstance) { a.Labels = map[string]string{"a": "b\nc"} },
		"registry with a quote": func(a *agents.AssignedInstance) { a.Registry = `r"` },
		"no size":               func(a *agents.AssignedInstance) { a.MaxPods = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			env := testEnv(t)
			a := assigned("i-0123456789abcdef0")
			change(&a)
			var u *unfit
			if _, err := env.spec(&a); !errors.As(err, &u) {
				t.Errorf("want unfit, got %v", err)
			}
		})
	}
}
