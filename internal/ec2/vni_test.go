package ec2

import (
	"fmt"
	"sync"
	"testing"
)

// TestSubnetVNI: each subnet gets its own VNI from FirstVNI up, the same
// one on every later call, and concurrent first calls agree.
func TestSubnetVNI(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, "111122223333", "10.0.0.0/16", false, nil))
	var subnets []*Subnet
	for i := range 4 {
		subnets = append(subnets, must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: fmt.Sprintf("10.0.%d.0/24", i)})))
	}
	got := make([][]int, len(subnets))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, sn := range subnets {
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := s.SubnetVNI(ctx, sn.ID)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[i] = append(got[i], v)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	seen := map[int]string{}
	for i, vs := range got {
		for _, v := range vs {
			if v != vs[0] {
				t.Errorf("subnet %s got VNIs %v from concurrent calls, want one", subnets[i].ID, vs)
			}
		}
		if vs[0] < FirstVNI || vs[0] >= FirstVNI+len(subnets) {
			t.Errorf("subnet %s got VNI %d, want one of %d..%d", subnets[i].ID, vs[0], FirstVNI, FirstVNI+len(subnets)-1)
		}
		if o, dup := seen[vs[0]]; dup {
			t.Errorf("subnets %s and %s share VNI %d", o, subnets[i].ID, vs[0])
		}
		seen[vs[0]] = subnets[i].ID
		if again := must1[int](t)(s.SubnetVNI(ctx, subnets[i].ID)); again != vs[0] {
			t.Errorf("subnet %s: VNI %d, later %d", subnets[i].ID, vs[0], again)
		}
	}
	// A deleted subnet's VNI is not handed out again.
	mustDo(t, s.DeleteSubnet(ctx, subnets[3].ID, nil))
	if _, err := s.SubnetVNI(ctx, subnets[3].ID); err == nil {
		t.Error("a deleted subnet got a VNI")
	}
	fresh := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.9.0/24"}))
	if v := must1[int](t)(s.SubnetVNI(ctx, fresh.ID)); v != FirstVNI+len(subnets) {
		t.Errorf("a new subnet after a deletion got VNI %d, want %d", v, FirstVNI+len(subnets))
	}
}
