// Package iam is keks's identity store: the account, IAM users, groups,
// roles, managed policies (customer policies with their versions, and AWS's
// from internal/iam/awspolicies), inline policies, access keys, and STS
// sessions made by AssumeRole. Every signature keks verifies is checked
// against the keys kept here, and every call is authorized against the
// policies PoliciesOf gathers.
//
// Records live in the store under iam/: users, roles, groups and customer
// policies each in one record that holds its attachments, inline policies
// and tags (a user also names the IDs of its groups); keys under iam/keys/;
// the last use of keys and roles under UsagePrefix. A change to several
// records is one store transaction, and a change that others must not race
// (attaching a policy, joining a group, making a key) writes back the record
// it depends on, so that a concurrent delete of that record conflicts.
package iam
