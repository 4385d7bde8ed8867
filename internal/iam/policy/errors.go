package policy

import "fmt"

// Error is a policy document that IAM would refuse. Message is the text of
// IAM's MalformedPolicyDocument error, ready to send to the client.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

func malformed(format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Message: format}
	}
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// The messages IAM answers with. Identity-based documents are checked by
// IAM's policy grammar, whose syntax failures all read "Syntax errors in
// policy."; resource-based documents (trust policies) go through the older
// grammar that names the offending field.
const (
	msgSyntax            = "Syntax errors in policy."
	msgInvalidJSON       = "This policy contains invalid Json"
	msgLegacyParsing     = "The policy failed legacy parsing"
	msgNoPrincipalWanted = "Policy document should not specify a principal."
	msgMissingField      = "Missing required field %s"
	msgMissingActions    = "Policy statement must contain actions."
	msgMissingResources  = "Policy statement must contain resources."
	msgDuplicateSid      = "Statement IDs (SID) in a single policy must be unique."
	msgSidFormat         = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgVendorMissing     = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgActionColons      = "Actions/Condition can contain only one colon."
	msgVendorInvalid     = "Vendor %s is not valid"
	msgResourceNotARN    = "Resource %s must be in ARN format or \"*\"."
	msgPartitionInvalid  = "Partition \"%s\" is not valid for resource \"%s\"."
	msgVendorUnqualified = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMRegion         = "IAM resource %s cannot contain region information."
	msgS3Region          = "Resource %s can not contain region information."
	msgIAMResourcePath   = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."
	msgInvalidPrincipal  = "Invalid principal in policy: %s"
	msgNoPrincipals      = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgProhibitedField   = "Has prohibited field %s"
	msgUnknownField      = "Unknown field %s"
)
