package fargate

import (
	"net/netip"
	"strings"
)

// Names EKS uses in the cluster for Fargate.
const (
	// SchedulerName is the scheduler the webhook gives Fargate pods.
	SchedulerName = "fargate-scheduler"
	// ProfileLabel names a pod's profile: the webhook sets it, and a pod
	// that has it already is pinned to that profile.
	ProfileLabel = "eks.amazonaws.com/fargate-profile"
	// ComputeTypeLabel is on Fargate nodes (value "fargate"); as a pod
	// annotation with the value "ec2" it keeps the pod off Fargate (see
	// Skip).
	ComputeTypeLabel = "eks.amazonaws.com/compute-type"
	// Taint is the taint of every Fargate node, in kubelet's
	// --register-with-taints form. Fargate pods get no toleration for it:
	// only the fargate-scheduler places pods there, and it ignores taints.
	Taint = ComputeTypeLabel + "=fargate:NoSchedule"
	// WebhookName is the MutatingWebhookConfiguration (and its pod
	// webhook) that sends pods to Fargate.
	WebhookName = "0500-amazon-eks-fargate-mutation.amazonaws.com"
	// ConfigMapWebhookName is the webhook that refuses aws-logging
	// ConfigMaps over the size limit ("admission webhook
	// "0500-amazon-eks-fargate-configmaps-admission.amazonaws.com" denied
	// the request: Config map has too many chars.", aws/aws-for-fluent-bit#324).
	ConfigMapWebhookName = "0500-amazon-eks-fargate-configmaps-admission.amazonaws.com"
	// PriorityClassName and Priority are what the webhook gives every
	// Fargate pod (system-node-critical's value).
	PriorityClassName = "system-node-critical"
	Priority          = int32(2000001000)
)

// NodeName is the name of the node a Fargate pod runs on: "fargate-"
// and the EC2 private DNS name of its IP, e.g.
// fargate-ip-10-7-94-68.eu-central-1.compute.internal
// (containers-roadmap#1976); us-east-1's private names end in
// ec2.internal instead.
func NodeName(privateIP netip.Addr, region string) string {
	return "fargate-" + HostnameLabel(privateIP, region)
}

// HostnameLabel is the node's kubernetes.io/hostname label: the private
// DNS name without "fargate-" (amazon-cloudwatch-agent#580 shows
// kubernetes.io/hostname=ip-10-0-8-190.us-east-2.compute.internal on node
// fargate-ip-10-0-8-190.us-east-2.compute.internal).
//
// EC2 names only IPv4 addresses this way; for an IPv6 address keks writes
// the expanded address with dashes, which no source shows.
func HostnameLabel(privateIP netip.Addr, region string) string {
	ip := privateIP.Unmap()
	var host string
	if ip.Is4() {
		host = strings.ReplaceAll(ip.String(), ".", "-")
	} else {
		host = strings.ReplaceAll(ip.StringExpanded(), ":", "-")
	}
	return "ip-" + host + "." + privateDomain(region)
}

// privateDomain is the domain of EC2's private DNS names in region.
func privateDomain(region string) string {
	if region == "us-east-1" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

// NodeLabels are the labels keks registers a Fargate node with (kubelet
// --node-labels): those of a real Fargate node (containers-roadmap#1476,
// amazon-cloudwatch-agent#580) except the os and arch labels, which the
// kubelet sets itself. No source shows the profile on the node, so it is
// not there.
func NodeLabels(privateIP netip.Addr, region, zone string) map[string]string {
	return map[string]string{
		ComputeTypeLabel:                           "fargate",
		"kubernetes.io/hostname":                   HostnameLabel(privateIP, region),
		"topology.kubernetes.io/region":            region,
		"topology.kubernetes.io/zone":              zone,
		"failure-domain.beta.kubernetes.io/region": region,
		"failure-domain.beta.kubernetes.io/zone":   zone,
	}
}
