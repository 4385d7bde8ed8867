package elb

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// sourceRangesAnnotation is the older way to name a Service's allowed
// sources; the spec field wins when both are set, as in Kubernetes's own
// cloud providers and the AWS load balancer controller.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// sourceRanges are the client ranges a Service's load balancer admits
// (empty: all). Entries that are no CIDR are left out and returned in bad,
// so that the caller can say so: the API server validates the field, but
// not the annotation.
func sourceRanges(svc *corev1.Service) (allow, bad []string) {
	ranges := svc.Spec.LoadBalancerSourceRanges
	if len(ranges) == 0 {
		if v := strings.TrimSpace(svc.Annotations[sourceRangesAnnotation]); v != "" {
			ranges = strings.Split(v, ",")
		}
	}
	for _, r := range ranges {
		r = strings.TrimSpace(r)
		p, err := netip.ParsePrefix(r)
		if err != nil {
			bad = append(bad, r)
			continue
		}
		allow = append(allow, p.Masked().String())
	}
	if len(allow) == 0 && len(bad) > 0 {
		// Only bad entries: admitting everyone would open what the owner
		// meant to close, so admit no one.
		allow = []string{noSource}
	}
	return allow, bad
}

// noSource is a range no client comes from.
const noSource = "255.255.255.255/32"
