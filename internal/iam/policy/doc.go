// Package policy is the IAM policy language: it parses policy documents
// (reporting IAM's own MalformedPolicyDocument messages) and evaluates
// them against a request the way AWS does.
//
// A document is parsed once (Parse) and then evaluated many times, so
// everything that can be worked out ahead is: wildcard patterns are split
// into pieces, ARN patterns into their colon-separated segments, condition
// values into numbers, instants, CIDR prefixes and bytes. Evaluation then
// allocates nothing in the common case.
//
// Evaluation follows the AWS documentation of the policy language:
//
//   - A statement applies when its Action (or NotAction), its Resource (or
//     NotResource) and every condition in its Condition block match.
//     Conditions are ANDed; the keys under one operator are ANDed; the
//     values of one key are ORed, and NORed for the negated operators
//     (StringNotEquals, NotIpAddress, ArnNotLike...).
//   - A key missing from the request makes a condition false, except for
//     the negated operators (true), the ...IfExists operators (true), the
//     ForAllValues qualifier (true) and the Null operator (which tests for
//     exactly that).
//   - Policy variables (${aws:username}, ${aws:PrincipalTag/team},
//     ${key, 'default'}, ${*}, ${?}, ${$}) are replaced in Resource and in
//     string, ARN and Bool condition values of 2012-10-17 documents. A
//     variable that cannot be resolved matches nothing; where a negated
//     match would need it (NotResource, StringNotEquals...), the statement
//     does not apply at all, as the docs say such a variable "might cause
//     the entire statement to be invalid".
//   - Within one document an explicit Deny wins over any Allow; with no
//     matching statement the answer is NotApplicable, an implicit deny.
//
// Resource-based documents (trust policies, key policies...) are parsed
// as Resource (or Trust, IAM's stricter rules for role trust policies) and
// evaluated with EvaluateResource, which also matches Principal and
// NotPrincipal. A statement that names the caller only through its account
// (an account id or arn:aws:iam::ACCT:root) yields AllowAccount: the
// account delegated the grant, so the caller's own identity-based policies
// must allow it too. (The account's root user is the account itself, so
// for it such a statement yields Allow.) Whether a cross-account caller
// also needs its identity policies, whatever the statement names, is for
// the caller of this package to decide: it knows both accounts.
package policy
