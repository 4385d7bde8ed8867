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
// login profiles (console passwords, as sealed bcrypt hashes) under
// iam/loginprofiles/ by user ID, and the account password policy at
// iam/passwordpolicy; the last use of keys, roles and passwords under
// UsagePrefix. A change to several records is one store transaction, and a
// change that others must not race (attaching a policy, joining a group,
// making a key or a login profile) writes back the record it depends on,
// so that a concurrent delete of that record conflicts.
package iam
