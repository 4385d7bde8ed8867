package ec2

// InstanceType is the size of an instance (the node's capacity) and what
// DescribeInstanceTypes says of it. The figures are AWS's own for each type
// (EC2's DescribeInstanceTypes in us-east-1), so that a scheduler that
// packs pods by them, as Karpenter does, sees what the kubelet reports.
type InstanceType struct {
	Name     string
	VCPUs    int
	MemoryMB int64 // MiB
	// MaxPods is the EKS AMI's eni-max-pods figure: ENIs*(IPv4s per ENI-1)+2.
	MaxPods int

	Cores, ThreadsPerCore int
	ClockGHz              float64 // sustained clock speed
	ENIs, IPv4PerENI      int     // network interfaces and addresses on each
	NetworkPerformance    string
	// EBS-optimized bandwidth (Mbps), IOPS and throughput (MB/s), baseline and burst.
	EBSBaselineMbps, EBSMaxMbps int
	EBSBaselineIOPS, EBSMaxIOPS int
	Burstable                   bool // T types: CPU credits
	// OnDemandPrice is the us-east-1 Linux on-demand price in USD an hour:
	// what CreateFleet's lowest-price strategy orders by.
	OnDemandPrice float64
}

// maxPods is the ENI formula the EKS AMI's eni-max-pods table follows.
func maxPods(enis, ips int) int { return enis*(ips-1) + 2 }

func instanceType(name string, vcpus, cores int, memMiB int64, clock float64, enis, ips int, network string,
	ebsBase, ebsMax, iopsBase, iopsMax int, price float64) InstanceType {
	return InstanceType{Name: name, VCPUs: vcpus, MemoryMB: memMiB, MaxPods: maxPods(enis, ips), Cores: cores, ThreadsPerCore: vcpus / cores,
		ClockGHz: clock, ENIs: enis, IPv4PerENI: ips, NetworkPerformance: network, EBSBaselineMbps: ebsBase, EBSMaxMbps: ebsMax,
		EBSBaselineIOPS: iopsBase, EBSMaxIOPS: iopsMax, Burstable: name[0] == 't', OnDemandPrice: price}
}

// instanceTypeList is every type keks runs: current-generation, x86_64,
// Nitro, EBS-only types of the families EKS node groups use most.
var instanceTypeList = []InstanceType{
	instanceType("t3.small", 2, 1, 2048, 2.5, 3, 4, "Up to 5 Gigabit", 174, 2085, 1000, 11800, 0.0208),
	instanceType("t3.medium", 2, 1, 4096, 2.5, 3, 6, "Up to 5 Gigabit", 347, 2085, 2000, 11800, 0.0416),
	instanceType("t3.large", 2, 1, 8192, 2.5, 3, 12, "Up to 5 Gigabit", 695, 2780, 4000, 15700, 0.0832),
	instanceType("t3.xlarge", 4, 2, 16384, 2.5, 4, 15, "Up to 5 Gigabit", 695, 2780, 4000, 15700, 0.1664),
	instanceType("t3.2xlarge", 8, 4, 32768, 2.5, 4, 15, "Up to 5 Gigabit", 695, 2780, 4000, 15700, 0.3328),
	instanceType("m5.large", 2, 1, 8192, 3.1, 3, 10, "Up to 10 Gigabit", 650, 4750, 3600, 18750, 0.096),
	instanceType("m5.xlarge", 4, 2, 16384, 3.1, 4, 15, "Up to 10 Gigabit", 1150, 4750, 6000, 18750, 0.192),
	instanceType("m5.2xlarge", 8, 4, 32768, 3.1, 4, 15, "Up to 10 Gigabit", 2300, 4750, 12000, 18750, 0.384),
	instanceType("c5.large", 2, 1, 4096, 3.4, 3, 10, "Up to 10 Gigabit", 650, 4750, 4000, 20000, 0.085),
	instanceType("c5.xlarge", 4, 2, 8192, 3.4, 4, 15, "Up to 10 Gigabit", 1150, 4750, 6000, 20000, 0.17),
	instanceType("c5.2xlarge", 8, 4, 16384, 3.4, 4, 15, "Up to 10 Gigabit", 2300, 4750, 10000, 20000, 0.34),
	instanceType("r5.large", 2, 1, 16384, 3.1, 3, 10, "Up to 10 Gigabit", 650, 4750, 3600, 18750, 0.126),
	instanceType("r5.xlarge", 4, 2, 32768, 3.1, 4, 15, "Up to 10 Gigabit", 1150, 4750, 6000, 18750, 0.252),
	instanceType("m6i.large", 2, 1, 8192, 3.5, 3, 10, "Up to 12.5 Gigabit", 650, 10000, 3600, 40000, 0.096),
	instanceType("m6i.xlarge", 4, 2, 16384, 3.5, 4, 15, "Up to 12.5 Gigabit", 1250, 10000, 6000, 40000, 0.192),
	instanceType("m6i.2xlarge", 8, 4, 32768, 3.5, 4, 15, "Up to 12.5 Gigabit", 2500, 10000, 12000, 40000, 0.384),
}

// InstanceTypes are the types keks can run, by name.
var InstanceTypes = func() map[string]InstanceType {
	out := make(map[string]InstanceType, len(instanceTypeList))
	for _, t := range instanceTypeList {
		out[t.Name] = t
	}
	return out
}()

// SpotPrice is the spot price keks quotes for a type in a zone: a steady
// share of its on-demand price, a little different in each zone as spot
// prices are.
func (t InstanceType) SpotPrice(zone string) float64 {
	share := 0.32
	if zone != "" {
		share += float64(zone[len(zone)-1]%4) * 0.01
	}
	return float64(int(t.OnDemandPrice*share*1e4+0.5)) / 1e4
}
