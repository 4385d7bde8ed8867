package ec2

import (
	"context"
	"testing"
)

// TestRunInstancesLargerThanTheHosts: an instance type with more vCPUs
// than any host of its zone has is refused at launch (its kubelet could
// never start); one that fits launches.
func TestRunInstancesLargerThanTheHosts(t *testing.T) {
	ctx, s := newKeyPairService(t)
	zones := map[string]int{}
	s.MaxVCPUs = func(_ context.Context, zone string) int { zones[zone]++; return 2 }
	vpc, err := s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.1.0/24", AvailabilityZone: testRegion + "a"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "m5.xlarge"})
	wantKeyCode(t, "m5.xlarge on 2-CPU hosts", err, CodeInsufficientCapacity)
	if _, err := s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.large"}); err != nil {
		t.Errorf("t3.large on 2-CPU hosts: %v", err)
	}
	if zones[testRegion+"a"] != 2 {
		t.Errorf("hosts asked for zones %v", zones)
	}
	_, err = s.RunInstance(ctx, Instance{SubnetID: sn.ID, Fargate: &FargateTask{MilliCPU: 4000, MemoryMiB: 8192}})
	wantKeyCode(t, "a 4-vCPU Fargate node on 2-CPU hosts", err, CodeInsufficientCapacity)
}
