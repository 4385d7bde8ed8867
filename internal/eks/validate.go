package eks

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

var (
	clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	privateRanges      = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16")}
)

func validateClusterName(name string) error {
	if len(name) < 1 || len(name) > 100 || !clusterNamePattern.MatchString(name) {
		return invalidParam("", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]* and have length between 1 and 100", name)
	}
	return nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return invalidParam("", "Tags can have a maximum of 50 entries")
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return invalidParam("", "Tag key '%s' must be between 1 and 128 characters", k)
		}
		if len(v) > 256 {
			return invalidParam("", "Tag value for key '%s' must be at most 256 characters", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return invalidParam("", "Tag keys must not begin with 'aws:', which is reserved for AWS use")
		}
	}
	return nil
}

func validateServiceCIDR(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return invalidParam("", "The specified serviceIpv4Cidr %s is not a valid CIDR block.", cidr)
	}
	if p.Bits() < 12 || p.Bits() > 24 {
		return invalidParam("", "The specified serviceIpv4Cidr %s must have a prefix length between /12 and /24.", cidr)
	}
	if !slices.ContainsFunc(privateRanges, func(r netip.Prefix) bool { return r.Contains(p.Addr()) && r.Bits() <= p.Bits() }) {
		return invalidParam("", "The specified serviceIpv4Cidr %s must be within one of the private (RFC 1918) ranges 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.", cidr)
	}
	return nil
}

func validatePublicCIDRs(cidrs []string) error {
	if len(cidrs) > 40 {
		return invalidParam("", "publicAccessCidrs can have at most 40 entries")
	}
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil || !p.Addr().Is4() || p.Masked() != p {
			return invalidParam("", "The following CIDRs are invalid in publicAccessCidrs: [%s]", c)
		}
	}
	return nil
}

func validateLogTypes(types []string) error {
	for _, t := range types {
		if !slices.Contains(LogTypes, t) {
			return invalidParam("", "1 validation error detected: Value '%s' at 'logging.clusterLogging.types' failed to satisfy constraint: Member must satisfy enum value set: [api, audit, authenticator, controllerManager, scheduler]", t)
		}
	}
	return nil
}

// CanonicalPrincipalARN turns an STS assumed-role ARN into its role ARN, as
// aws-iam-authenticator does (the role's path is lost).
func CanonicalPrincipalARN(arn string) string {
	if strings.HasPrefix(arn, "arn:aws:sts::") && strings.Contains(arn, ":assumed-role/") {
		acct := strings.Split(arn, ":")[4]
		parts := strings.Split(arn[strings.Index(arn, ":assumed-role/")+len(":assumed-role/"):], "/")
		return "arn:aws:iam::" + acct + ":role/" + parts[0]
	}
	return arn
}
