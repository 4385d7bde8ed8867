// Package iam is keks's identity store: the account, IAM users, roles,
// policies and access keys, and STS sessions made by AssumeRole. Every
// signature keks verifies is checked against the keys kept here.
package iam
