package nodes

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/k8sbuild"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/overlay"
	"github.com/keksdev/keks/internal/store/storetest"
)

const testCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

// assignmentFixture is a node controller over a store with one cluster
// ready for nodes, a subnet and an instance of it.
func assignmentFixture(t *testing.T) (*Controller, ec2.Instance) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	e2, e := &ec2.Service{Store: st}, &eks.Service{Store: st}
	cl := eks.Cluster{Name: "c1", Region: "us-east-1", UID: "u1",
		Spec:   eks.ClusterSpec{ServiceIPv4CIDR: "172.20.0.0/16"},
		Status: eks.Status{Endpoint: "https://c1.example", CertificateAuthority: base64.StdEncoding.EncodeToString([]byte(testCA)), RunningVersion: kubeversions.Default}}
	sn := ec2.Subnet{ID: "subnet-0123456789abcdef0", Region: "us-east-1", VPCID: "vpc-1", CIDR: "10.0.1.0/24", AvailabilityZone: "us-east-1a"}
	in := ec2.Instance{ID: "i-0123456789abcdef0", Region: "us-east-1", Zone: "us-east-1a", Host: "host-0a0b0c0d", SubnetID: sn.ID,
		PrivateIP: "10.0.1.5", InstanceType: "t3.medium", RoleARN: "arn:aws:iam::111122223333:role/NodeRole", State: ec2.StatePending,
		Tags: map[string]string{"kubernetes.io/cluster/c1": "owned"}}
	for key, v := range map[string]any{"eks/clusters/us-east-1/c1": &cl, "ec2/subnets/" + sn.ID: &sn, ec2.InstancePrefix + in.ID: &in} {
		if err := st.Put(ctx, key, v); err != nil {
			t.Fatal(err)
		}
	}
	c := New(Config{DataDir: t.TempDir(), K8s: k8sbuild.Dir(t.TempDir()), KeksBinary: "/usr/bin/keks", Endpoint: "https://keks.example:4566", CABundle: "/keks/ca.crt"},
		e2, e, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c.SetRegistry("registry.keks.example")
	return c, in
}

func TestAssignmentAndLocalSpecAreOneDescription(t *testing.T) {
	c, in := assignmentFixture(t)
	ctx := context.Background()
	got := c.Assignments(ctx, []ec2.Instance{in})
	if len(got) != 1 {
		t.Fatalf("assignments %+v, want one", got)
	}
	a := got[0]
	for name, pair := range map[string][2]string{
		"want": {a.Want, agents.WantRunning}, "address": {a.Address, "10.0.1.5/24"}, "gateway": {a.Gateway, "10.0.1.1"},
		"bridge": {a.Bridge, "ks56789abcdef0"}, "subnet": {a.SubnetCIDR, "10.0.1.0/24"},
		"CA": {a.ClusterCA, testCA}, "version": {a.KubernetesVersion, kubeversions.Default}, "AWS endpoint": {a.AWSEndpoint, "https://keks.example:4566"},
		"DNS": {a.ClusterDNS, "172.20.0.10"}, "registry": {a.Registry, "registry.keks.example"}, "endpoint": {a.Endpoint, "https://c1.example"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("assignment's %s = %q, want %q", name, pair[0], pair[1])
		}
	}
	if !slices.Equal(a.ServiceRanges, []string{"172.20.0.0/16"}) || a.MemoryBytes != 4096<<20 || a.CPUs != 2 {
		t.Errorf("service ranges %v, memory %d, CPUs %d", a.ServiceRanges, a.MemoryBytes, a.CPUs)
	}

	// keks's own spec of the same instance is that assignment, plus its host's files.
	spec, err := c.spec(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	if ca, err := os.ReadFile(spec.CAFile); err != nil || string(ca) != testCA {
		t.Errorf("cluster CA file: %q %v", ca, err)
	}
	if spec.AWSConfig == "" || spec.RegistryCA != "/keks/ca.crt" || spec.KeksBinary != "/usr/bin/keks" || spec.K8sBinDir == "" {
		t.Errorf("host's part of the spec missing: %+v", spec)
	}
	bare := *spec
	bare.CAFile, bare.AWSConfig, bare.RegistryCA, bare.KeksBinary, bare.K8sBinDir, bare.RuntimeDir = "", "", "", "", "", ""
	if from := c.localSpec(&a); !reflect.DeepEqual(&bare, from) {
		t.Errorf("local spec\n%+v\nis not the assignment's\n%+v", bare, *from)
	}
}

func TestAShuttingDownInstanceIsAssignedForRemoval(t *testing.T) {
	c, in := assignmentFixture(t)
	ctx := context.Background()
	in.State = ec2.StateShutting
	if got := c.Assignments(ctx, []ec2.Instance{in}); len(got) != 1 || got[0].Want != agents.WantTerminated || got[0].Address != "10.0.1.5/24" {
		t.Fatalf("shutting-down instance assigned as %+v, want terminated", got)
	}
	// Its cluster gone: still assigned, with what its removal needs.
	in.Tags = map[string]string{"kubernetes.io/cluster/gone": "owned"}
	got := c.Assignments(ctx, []ec2.Instance{in})
	if len(got) != 1 || got[0].Want != agents.WantTerminated || got[0].Address != "10.0.1.5/32" || got[0].Bridge != overlay.BridgeName(in.SubnetID) || got[0].PodCIDR != in.PodCIDR() {
		t.Fatalf("shutting-down instance of a gone cluster assigned as %+v", got)
	}
	// A pending one whose cluster is not there waits.
	in.State = ec2.StatePending
	if got := c.Assignments(ctx, []ec2.Instance{in}); len(got) != 0 {
		t.Fatalf("pending instance of a gone cluster assigned: %+v", got)
	}
}
