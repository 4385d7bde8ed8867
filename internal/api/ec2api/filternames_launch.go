package ec2api

// The filter names of the actions Karpenter calls, as the EC2 API reference
// lists them; kept apart from filternames.go's table, which they join.
func init() {
	filterNames["DescribeInstanceTypes"] = []string{
		"auto-recovery-supported", "bare-metal", "burstable-performance-supported", "current-generation",
		"dedicated-hosts-supported", "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps", "ebs-info.ebs-optimized-info.baseline-iops",
		"ebs-info.ebs-optimized-info.baseline-throughput-in-mbps", "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps",
		"ebs-info.ebs-optimized-info.maximum-iops", "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps",
		"ebs-info.ebs-optimized-support", "ebs-info.encryption-support", "ebs-info.nvme-support", "free-tier-eligible",
		"hibernation-supported", "hypervisor", "instance-storage-info.disk.count", "instance-storage-info.disk.size-in-gb",
		"instance-storage-info.disk.type", "instance-storage-info.encryption-support", "instance-storage-info.nvme-support",
		"instance-storage-info.total-size-in-gb", "instance-storage-supported", "instance-type", "memory-info.size-in-mib",
		"network-info.bandwidth-weightings", "network-info.efa-info.maximum-efa-interfaces", "network-info.efa-supported",
		"network-info.ena-support", "network-info.flexible-ena-queues-support", "network-info.encryption-in-transit-supported",
		"network-info.ipv4-addresses-per-interface", "network-info.ipv6-addresses-per-interface", "network-info.ipv6-supported",
		"network-info.maximum-network-cards", "network-info.maximum-network-interfaces", "network-info.network-performance",
		"nitro-enclaves-support", "nitro-tpm-support", "nitro-tpm-info.supported-versions", "processor-info.supported-architecture",
		"processor-info.sustained-clock-speed-in-ghz", "processor-info.supported-features", "processor-info.manufacturer",
		"reboot-migration-support", "supported-boot-mode", "supported-root-device-type", "supported-usage-class",
		"supported-virtualization-type", "vcpu-info.default-cores", "vcpu-info.default-threads-per-core", "vcpu-info.default-vcpus",
		"vcpu-info.valid-cores", "vcpu-info.valid-threads-per-core",
	}
	filterNames["DescribeInstanceTypeOfferings"] = []string{"instance-type", "location"}
	filterNames["DescribeSpotPriceHistory"] = []string{"availability-zone", "instance-type", "product-description", "spot-price", "timestamp"}
	filterNames["DescribeImages"] = []string{
		"architecture", "block-device-mapping.delete-on-termination", "block-device-mapping.device-name",
		"block-device-mapping.snapshot-id", "block-device-mapping.volume-size", "block-device-mapping.volume-type",
		"block-device-mapping.encrypted", "creation-date", "description", "ena-support", "free-tier-eligible", "hypervisor",
		"image-allowed", "image-id", "image-type", "is-public", "kernel-id", "manifest-location", "name", "owner-alias", "owner-id",
		"platform", "platform-details", "product-code", "product-code.type", "ramdisk-id", "root-device-name", "root-device-type",
		"source-image-id", "source-image-region", "source-instance-id", "state", "state-reason-code", "state-reason-message",
		"sriov-net-support", "usage-operation", "virtualization-type", "imds-support",
	}
	filterNames["DescribeInstanceStatus"] = []string{
		"availability-zone", "event.code", "event.description", "event.instance-event-id", "event.not-after", "event.not-before",
		"event.not-before-deadline", "instance-state-code", "instance-state-name", "instance-status.reachability",
		"instance-status.status", "operator.managed", "operator.principal", "system-status.reachability", "system-status.status",
		"attached-ebs-status.status", "attached-ebs-status.reachability",
	}
	filterNames["DescribeLaunchTemplates"] = []string{"create-time", "launch-template-name"}
	filterNames["DescribeLaunchTemplateVersions"] = []string{
		"create-time", "ebs-optimized", "http-endpoint", "http-protocol-ipv4", "host-resource-group-arn", "http-tokens",
		"iam-instance-profile", "image-id", "instance-type", "is-default-version", "kernel-id", "license-configuration-arn",
		"network-card-index", "ram-disk-id",
	}
}
