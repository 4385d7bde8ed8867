// Package awspolicies holds AWS managed IAM policies (the policies whose ARNs
// start with arn:aws:iam::aws:policy/) with the documents AWS publishes for
// them.
//
// The data lives in data/<Name>.json, one file per policy, embedded into the
// binary and decoded once on first use. Each file's "source" field records
// where its parts were taken from:
//
//   - document and default version: IAM's GetPolicyVersion output as recorded
//     by github.com/kisst/aws-managed-policy-tracker (which stores boto3's
//     answer unchanged, keys in AWS's order), checked statement by statement
//     against github.com/iann0036/iam-dataset or github.com/zoph-io/MAMIP;
//   - policy id, path and creation date: IAM's ListPolicies output as recorded
//     by github.com/zoph-io/MAMIP (policies-list.json); the update date is
//     the creation date of the default version;
//   - description: AWS's "AWS managed policy reference"
//     (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html).
//
// Policy documents are AWS's published data; no statement here is invented.
// A policy whose real document could not be found is left out rather than
// approximated.
package awspolicies
