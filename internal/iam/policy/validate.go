package policy

import "strings"

// partitions are the ARN partitions IAM knows.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true,
	"aws-iso": true, "aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true,
	"aws-eusc": true,
}

// iamResourceTypes are the resource types an IAM ARN may name.
var iamResourceTypes = []string{
	"user/", "federated-user/", "role/", "group/", "instance-profile/",
	"mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/",
	"oidc-provider/", "report/", "access-report/",
}

// checkAction checks an Action/NotAction entry: "*" or vendor:name, with
// one colon and a vendor of letters, digits, '-' and '.'.
func checkAction(action string) *Error {
	if action == "*" {
		return nil
	}
	vendor, name, found := strings.Cut(action, ":")
	if !found {
		return malformed(msgVendorMissing)
	}
	if strings.IndexByte(name, ':') >= 0 {
		return malformed(msgActionColons)
	}
	if vendor == "" {
		return malformed(msgVendorInvalid, vendor)
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return malformed(msgVendorInvalid, vendor)
		}
	}
	return nil
}

// checkResources checks each Resource/NotResource entry is "*" or a
// well-formed ARN, with IAM's messages for the ways it can be wrong.
func checkResources(resources []string) *Error {
	for _, res := range resources {
		if err := checkResource(res); err != nil {
			return err
		}
	}
	return nil
}

func checkResource(res string) *Error {
	if res == "*" {
		return nil
	}
	_, afterPrefix, found := strings.Cut(res, ":")
	if !found {
		return malformed(msgResourceNotARN, res)
	}
	partition, rest, found := strings.Cut(afterPrefix, ":")
	if !partitions[partition] {
		return malformed(msgPartitionInvalid, partition, reconstructARN(partition, rest))
	}
	if !found {
		return malformed(msgVendorUnqualified)
	}
	service, rest, _ := strings.Cut(rest, ":")
	if !strings.HasPrefix(rest, ":") {
		switch service {
		case "iam":
			return malformed(msgIAMRegion, res)
		case "s3":
			return malformed(msgS3Region, res)
		}
	}
	if service == "iam" {
		_, rest, _ = strings.Cut(rest, ":") // region
		_, path, _ := strings.Cut(rest, ":")
		if path != "*" && !hasAnyPrefix(path, iamResourceTypes) {
			return malformed(msgIAMResourcePath)
		}
	}
	return nil
}

// reconstructARN is how IAM quotes a resource whose partition it does not
// know: the segments it found, "*" for those that are missing.
func reconstructARN(partition, rest string) string {
	parts := strings.Split(rest, ":")
	seg := func(i int) string {
		if i < len(parts) && (i > 0 || parts[0] != "" || len(parts) > 1) {
			return parts[i]
		}
		return "*"
	}
	resource := "*"
	if len(parts) > 3 {
		resource = strings.Join(parts[3:], ":")
	}
	return "arn:" + partition + ":" + seg(0) + ":" + seg(1) + ":" + seg(2) + ":" + resource
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// legacyResourceOK is the test of IAM's legacy parser: a resource other
// than "*" names a service, and an empty segment ("::") is allowed only
// once all six segments are there.
func legacyResourceOK(res string) bool {
	if res == "*" {
		return true
	}
	if strings.Count(res, ":") < 5 && strings.Contains(res, "::") {
		return false
	}
	parts := strings.SplitN(res, ":", 4)
	return len(parts) < 3 || parts[2] != ""
}
