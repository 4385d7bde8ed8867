package placement

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store/storetest"
)

func host(id, zone, state string, memGiB int64) agents.HostStatus {
	return agents.HostStatus{Host: agents.Host{ID: id, Zone: zone, Capacity: agents.Capacity{CPUs: 4, MemoryBytes: memGiB << 30}}, State: state}
}

func on(hostID, typ, state string) ec2.Instance {
	return ec2.Instance{ID: "i-" + hostID + typ, Zone: "us-east-1a", Host: hostID, InstanceType: typ, State: state}
}

func TestChoose(t *testing.T) {
	newIn := &ec2.Instance{ID: "i-new", Zone: "us-east-1a", InstanceType: "t3.medium", State: ec2.StatePending}
	for _, tc := range []struct {
		name  string
		hosts []agents.HostStatus
		all   []ec2.Instance
		want  string
	}{
		{"no agents: keks's host", nil, nil, ""},
		{"agent of another zone only: keks's host", []agents.HostStatus{host("host-b", "us-east-1b", agents.StateReady, 64)}, nil, ""},
		{"NotReady agent of the zone: keks's host", []agents.HostStatus{host("host-a", "us-east-1a", agents.StateNotReady, 64)}, nil, ""},
		{"the zone's Ready agent", []agents.HostStatus{
			host("host-a", "us-east-1a", agents.StateReady, 8), host("host-b", "us-east-1b", agents.StateReady, 64),
		}, nil, "host-a"},
		{"the most free memory", []agents.HostStatus{
			host("host-a", "us-east-1a", agents.StateReady, 8), host("host-c", "us-east-1a", agents.StateReady, 16),
		}, nil, "host-c"},
		{"assigned instances use memory", []agents.HostStatus{
			host("host-a", "us-east-1a", agents.StateReady, 8), host("host-c", "us-east-1a", agents.StateReady, 16),
		}, []ec2.Instance{on("host-c", "m5.large", ec2.StateRunning), on("host-c", "t3.small", ec2.StatePending)}, "host-a"},
		{"terminated instances use none", []agents.HostStatus{
			host("host-a", "us-east-1a", agents.StateReady, 8), host("host-c", "us-east-1a", agents.StateReady, 16),
		}, []ec2.Instance{on("host-c", "m5.xlarge", ec2.StateTerminated)}, "host-c"},
		{"keks's own instances count for no agent", []agents.HostStatus{
			host("host-a", "us-east-1a", agents.StateReady, 8), host("host-c", "us-east-1a", agents.StateReady, 16),
		}, []ec2.Instance{on("", "m5.xlarge", ec2.StateRunning)}, "host-c"},
		{"a tie goes to the first id", []agents.HostStatus{
			host("host-d", "us-east-1a", agents.StateReady, 8), host("host-a", "us-east-1a", agents.StateReady, 8),
		}, nil, "host-a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Choose(newIn, tc.hosts, tc.all); got != tc.want {
				t.Errorf("Choose = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPlaceable(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   ec2.Instance
		want bool
	}{
		{"pending, nowhere", ec2.Instance{State: ec2.StatePending}, true},
		{"running", ec2.Instance{State: ec2.StateRunning}, false},
		{"placed", ec2.Instance{State: ec2.StatePending, Host: "host-a"}, false},
		{"started here", ec2.Instance{State: ec2.StatePending, ContainerdPID: 42}, false},
		{"fargate", ec2.Instance{State: ec2.StatePending, Fargate: &ec2.FargateTask{}}, false},
	} {
		if got := Placeable(&tc.in); got != tc.want {
			t.Errorf("%s: Placeable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPlaceWritesTheChoice(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	e2 := &ec2.Service{Store: st}
	dir := t.TempDir()
	put := func(in ec2.Instance) {
		in.Zone, in.InstanceType = "us-east-1a", "t3.medium"
		if err := st.Put(ctx, ec2.InstancePrefix+in.ID, &in); err != nil {
			t.Fatal(err)
		}
	}
	put(ec2.Instance{ID: "i-new", State: ec2.StatePending})
	put(ec2.Instance{ID: "i-begun", State: ec2.StatePending}) // keks's host made its directory already
	put(ec2.Instance{ID: "i-running", State: ec2.StateRunning, ContainerdPID: 7})
	if err := os.Mkdir(filepath.Join(dir, "i-begun"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := &Placer{EC2: e2, LocalDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Hosts: func(context.Context) ([]agents.HostStatus, error) {
			return []agents.HostStatus{host("host-a", "us-east-1a", agents.StateReady, 8)}, nil
		}}
	all, err := e2.Instances(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	all = p.Place(ctx, all)
	for _, in := range all {
		stored, err := e2.GetInstance(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"i-new": "host-a"}[in.ID]
		if in.Host != want || stored.Host != want {
			t.Errorf("%s placed on %q (stored %q), want %q", in.ID, in.Host, stored.Host, want)
		}
	}
}

// TestMaxVCPUs: the zone's largest Ready agent host bounds its instances;
// a zone no Ready agent serves is keks's own host's.
func TestMaxVCPUs(t *testing.T) {
	hosts := []agents.HostStatus{
		{Host: agents.Host{ID: "h1", Zone: "us-east-1a", Capacity: agents.Capacity{CPUs: 4}}, State: agents.StateReady},
		{Host: agents.Host{ID: "h2", Zone: "us-east-1a", Capacity: agents.Capacity{CPUs: 8}}, State: agents.StateReady},
		{Host: agents.Host{ID: "h3", Zone: "us-east-1b", Capacity: agents.Capacity{CPUs: 16}}, State: agents.StateNotReady},
	}
	for zone, want := range map[string]int{"us-east-1a": 8, "us-east-1b": 2, "us-east-1c": 2} {
		if got := maxVCPUs(hosts, zone, 2); got != want {
			t.Errorf("%s: %d, want %d", zone, got, want)
		}
	}
	// Choose skips a host too small for the instance.
	in := &ec2.Instance{ID: "i-1", Zone: "us-east-1a", InstanceType: "m5.xlarge", State: ec2.StatePending}
	small := []agents.HostStatus{{Host: agents.Host{ID: "h1", Zone: "us-east-1a", Capacity: agents.Capacity{CPUs: 2, MemoryBytes: 64 << 30}}, State: agents.StateReady},
		{Host: agents.Host{ID: "h2", Zone: "us-east-1a", Capacity: agents.Capacity{CPUs: 4, MemoryBytes: 8 << 30}}, State: agents.StateReady}}
	if got := Choose(in, small, nil); got != "h2" {
		t.Errorf("m5.xlarge placed on %q, want h2 (h1 has 2 CPUs)", got)
	}
}
