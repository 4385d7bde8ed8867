package ec2api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// DescribeInstanceTypes answers at most 100 types a page, as EC2 does.
const maxInstanceTypesPage = 100

func items(name string, values ...string) awsproto.Node {
	out := make([]awsproto.Node, 0, len(values))
	for _, v := range values {
		out = append(out, awsproto.Tx("", v))
	}
	return awsproto.List(name, "item", out)
}

func gHz(v float64) string   { return strconv.FormatFloat(v, 'f', -1, 64) }
func mbps(v int) string      { return strconv.Itoa(v) }
func mBps(mbit int) string   { return strconv.FormatFloat(float64(mbit)/8, 'f', 3, 64) }
func price(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
func boolText(v bool) string { return strconv.FormatBool(v) }
func intsText(n ...int) []string {
	out := make([]string, 0, len(n))
	for _, v := range n {
		out = append(out, strconv.Itoa(v))
	}
	return out
}

// instanceTypeNode is an InstanceTypeInfo: every field Karpenter reads
// without a nil check is present.
func instanceTypeNode(t ec2.InstanceType) awsproto.Node {
	var cores []int
	for c := 1; c <= t.Cores; c++ {
		cores = append(cores, c)
	}
	manufacturer := "Intel"
	return awsproto.El("", awsproto.Tx("instanceType", t.Name), awsproto.Bool("currentGeneration", true), awsproto.Bool("freeTierEligible", false),
		items("supportedUsageClasses", "on-demand", "spot"), items("supportedRootDeviceTypes", "ebs"), items("supportedVirtualizationTypes", "hvm"),
		awsproto.Bool("bareMetal", false), awsproto.Tx("hypervisor", "nitro"),
		awsproto.El("processorInfo", items("supportedArchitectures", "x86_64"), awsproto.Tx("sustainedClockSpeedInGhz", gHz(t.ClockGHz)),
			awsproto.Tx("manufacturer", manufacturer)),
		awsproto.El("vCpuInfo", awsproto.Int("defaultVCpus", t.VCPUs), awsproto.Int("defaultCores", t.Cores), awsproto.Int("defaultThreadsPerCore", t.ThreadsPerCore),
			items("validCores", intsText(cores...)...), items("validThreadsPerCore", intsText(1, t.ThreadsPerCore)...)),
		awsproto.El("memoryInfo", awsproto.Tx("sizeInMiB", strconv.FormatInt(t.MemoryMB, 10))),
		awsproto.Bool("instanceStorageSupported", false),
		awsproto.El("ebsInfo", awsproto.Tx("ebsOptimizedSupport", "default"), awsproto.Tx("encryptionSupport", "supported"),
			awsproto.El("ebsOptimizedInfo", awsproto.Tx("baselineBandwidthInMbps", mbps(t.EBSBaselineMbps)), awsproto.Tx("baselineThroughputInMBps", mBps(t.EBSBaselineMbps)),
				awsproto.Int("baselineIops", t.EBSBaselineIOPS), awsproto.Tx("maximumBandwidthInMbps", mbps(t.EBSMaxMbps)),
				awsproto.Tx("maximumThroughputInMBps", mBps(t.EBSMaxMbps)), awsproto.Int("maximumIops", t.EBSMaxIOPS)),
			awsproto.Tx("nvmeSupport", "required")),
		awsproto.El("networkInfo", awsproto.Tx("networkPerformance", t.NetworkPerformance), awsproto.Int("maximumNetworkInterfaces", t.ENIs),
			awsproto.Int("maximumNetworkCards", 1), awsproto.Int("defaultNetworkCardIndex", 0),
			awsproto.List("networkCards", "item", []awsproto.Node{awsproto.El("", awsproto.Int("networkCardIndex", 0),
				awsproto.Tx("networkPerformance", t.NetworkPerformance), awsproto.Int("maximumNetworkInterfaces", t.ENIs))}),
			awsproto.Int("ipv4AddressesPerInterface", t.IPv4PerENI), awsproto.Int("ipv6AddressesPerInterface", t.IPv4PerENI),
			awsproto.Bool("ipv6Supported", true), awsproto.Tx("enaSupport", "required"), awsproto.Bool("efaSupported", false),
			awsproto.Bool("encryptionInTransitSupported", false), awsproto.Bool("enaSrdSupported", false)),
		awsproto.El("placementGroupInfo", items("supportedStrategies", "partition", "spread")),
		awsproto.Bool("hibernationSupported", true), awsproto.Bool("burstablePerformanceSupported", t.Burstable),
		awsproto.Bool("dedicatedHostsSupported", !t.Burstable), awsproto.Bool("autoRecoverySupported", true),
		items("supportedBootModes", "legacy-bios", "uefi"), awsproto.Tx("nitroEnclavesSupport", "unsupported"),
		awsproto.Tx("nitroTpmSupport", "supported"), awsproto.Tx("phcSupport", "unsupported"))
}

// instanceTypeFields are the filterable fields of a type.
func instanceTypeFields(t ec2.InstanceType) map[string][]string {
	return map[string][]string{
		"instance-type": {t.Name}, "current-generation": {"true"}, "free-tier-eligible": {"false"}, "bare-metal": {"false"},
		"hypervisor": {"nitro"}, "supported-usage-class": {"on-demand", "spot"}, "supported-root-device-type": {"ebs"},
		"supported-virtualization-type": {"hvm"}, "processor-info.supported-architecture": {"x86_64"},
		"processor-info.sustained-clock-speed-in-ghz": {gHz(t.ClockGHz)}, "processor-info.manufacturer": {"Intel"},
		"vcpu-info.default-vcpus": {strconv.Itoa(t.VCPUs)}, "vcpu-info.default-cores": {strconv.Itoa(t.Cores)},
		"vcpu-info.default-threads-per-core": {strconv.Itoa(t.ThreadsPerCore)}, "memory-info.size-in-mib": {strconv.FormatInt(t.MemoryMB, 10)},
		"instance-storage-supported": {"false"}, "network-info.ena-support": {"required"}, "network-info.efa-supported": {"false"},
		"network-info.maximum-network-interfaces": {strconv.Itoa(t.ENIs)}, "network-info.ipv4-addresses-per-interface": {strconv.Itoa(t.IPv4PerENI)},
		"network-info.ipv6-supported": {"true"}, "network-info.network-performance": {t.NetworkPerformance},
		"ebs-info.ebs-optimized-support": {"default"}, "ebs-info.encryption-support": {"supported"}, "ebs-info.nvme-support": {"required"},
		"burstable-performance-supported": {boolText(t.Burstable)}, "dedicated-hosts-supported": {boolText(!t.Burstable)},
		"hibernation-supported": {"true"}, "auto-recovery-supported": {"true"}, "supported-boot-mode": {"legacy-bios", "uefi"},
		"nitro-enclaves-support": {"unsupported"}, "nitro-tpm-support": {"supported"},
	}
}

func (h *Handler) describeInstanceTypes(_ *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeInstanceTypes", false)
	if err != nil {
		return nil, err
	}
	pg, err := readPage(c, "", "", maxInstanceTypesPage, false)
	if err != nil {
		return nil, err
	}
	names := listParam(c, "InstanceType")
	var unknown []string
	for _, n := range names {
		if _, ok := ec2.InstanceTypes[n]; !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, awserr.Errorf("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", strings.Join(unknown, ", "))
	}
	var found []ec2.InstanceType
	for _, name := range ec2.InstanceTypeNames() {
		t := ec2.InstanceTypes[name]
		if (len(names) == 0 || slices.Contains(names, name)) && matchesEach(fs, instanceTypeFields(t), nil) {
			found = append(found, t)
		}
	}
	found, next := page(found, func(t ec2.InstanceType) string { return t.Name }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, t := range found {
		out = append(out, instanceTypeNode(t))
	}
	return append([]awsproto.Node{awsproto.List("instanceTypeSet", "item", out)}, nextToken(next)...), nil
}

// offering is one instance type offered at one location.
type offering struct{ typ, location string }

// offeredIn says whether a type is offered at a location: where no host
// serving the zone (any zone, for the region) could run it, EC2 would have
// no capacity for it, and keks does not offer it, so that Karpenter does
// not choose a type RunInstances must refuse.
func (h *Handler) offeredIn(ctx context.Context, region string, t ec2.InstanceType, locType, loc string) bool {
	if h.EC2 == nil || h.EC2.MaxVCPUs == nil {
		return true
	}
	for _, z := range ec2.Zones(region) {
		if (locType == "region" || loc == z.Name || loc == z.ID) && t.VCPUs <= h.EC2.MaxVCPUs(ctx, z.Name) {
			return true
		}
	}
	return false
}

func (h *Handler) describeInstanceTypeOfferings(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeInstanceTypeOfferings", false)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	locType := c.Form.Get("LocationType")
	var locations []string
	switch locType {
	case "", "region":
		locType, locations = "region", []string{c.Region}
	case "availability-zone", "availability-zone-id":
		for _, z := range ec2.Zones(c.Region) {
			locations = append(locations, map[bool]string{true: z.Name, false: z.ID}[locType == "availability-zone"])
		}
	default:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter locationType is invalid. Valid values are: region, availability-zone, availability-zone-id, outpost", locType)
	}
	var found []offering
	for _, name := range ec2.InstanceTypeNames() {
		for _, loc := range locations {
			if matches(fs, map[string]string{"instance-type": name, "location": loc}, nil) && h.offeredIn(r.Context(), c.Region, ec2.InstanceTypes[name], locType, loc) {
				found = append(found, offering{name, loc})
			}
		}
	}
	found, next := page(found, func(o offering) string { return o.typ + "/" + o.location }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, o := range found {
		out = append(out, awsproto.El("", awsproto.Tx("instanceType", o.typ), awsproto.Tx("locationType", locType), awsproto.Tx("location", o.location)))
	}
	return append([]awsproto.Node{awsproto.List("instanceTypeOfferingSet", "item", out)}, nextToken(next)...), nil
}

// spotProduct is the only product keks quotes spot prices for.
const spotProduct = "Linux/UNIX"

// spotPrice is a type's price in a zone.
type spotPrice struct {
	typ  string
	zone ec2.Zone
}

func (h *Handler) describeSpotPriceHistory(_ *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeSpotPriceHistory", false)
	if err != nil {
		return nil, err
	}
	pg, err := pageParamsUpTo(c, "", "", maxPage) // Karpenter asks for 2000: EC2 answers a page of its own size, not an error
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"StartTime", "EndTime"} {
		if v := c.Form.Get(p); v != "" {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Invalid date/time format.", v, awsproto.MemberName(p))
			}
		}
	}
	types, products, zone := listParam(c, "InstanceType"), listParam(c, "ProductDescription"), c.Form.Get("AvailabilityZone")
	// A spot price holds since its timestamp; keks's change on the hour.
	stamp := time.Now().UTC().Truncate(time.Hour)
	product := spotProduct
	if len(products) > 0 && !slices.Contains(products, spotProduct) {
		if !slices.Contains(products, "Linux/UNIX (Amazon VPC)") {
			return []awsproto.Node{awsproto.El("spotPriceHistorySet")}, nil
		}
		product = "Linux/UNIX (Amazon VPC)"
	}
	var found []spotPrice
	for _, name := range ec2.InstanceTypeNames() {
		if len(types) > 0 && !slices.Contains(types, name) {
			continue
		}
		for _, z := range ec2.Zones(c.Region) {
			if zone != "" && z.Name != zone {
				continue
			}
			fields := map[string]string{"instance-type": name, "availability-zone": z.Name, "product-description": product,
				"spot-price": price(ec2.InstanceTypes[name].SpotPrice(z.Name)), "timestamp": stamp.Format("2006-01-02T15:04:05.000Z")}
			if matches(fs, fields, nil) {
				found = append(found, spotPrice{name, z})
			}
		}
	}
	found, next := page(found, func(p spotPrice) string { return p.typ + "/" + p.zone.Name }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, p := range found {
		out = append(out, awsproto.El("", awsproto.Tx("instanceType", p.typ), awsproto.Tx("productDescription", product),
			awsproto.Tx("spotPrice", price(ec2.InstanceTypes[p.typ].SpotPrice(p.zone.Name))), awsproto.Time("timestamp", stamp),
			awsproto.Tx("availabilityZone", p.zone.Name), awsproto.Tx("availabilityZoneId", p.zone.ID)))
	}
	return append([]awsproto.Node{awsproto.List("spotPriceHistorySet", "item", out)}, nextToken(next)...), nil
}
