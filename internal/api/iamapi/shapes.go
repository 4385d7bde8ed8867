package iamapi

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// The shapes of IAM's answers (botocore's iam 2010-05-08 model). Lists
// leave out what IAM's lists leave out: tags, descriptions, last use.

// encodeDocument URL-encodes a policy document as IAM returns them:
// RFC 3986 escapes, spaces as %20, so that both the AWS CLI (which
// unquotes without turning + into a space) and url.QueryUnescape read it.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// userNode is a user; passwordLastUsed, which only GetUser and ListUsers
// report, is left out when zero (never used).
func userNode(name string, u *iam.User, withTags bool, passwordLastUsed time.Time) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("Path", u.Path), awsproto.Tx("UserName", u.Name), awsproto.Tx("UserId", u.ID),
		awsproto.Tx("Arn", u.ARN), awsproto.Time("CreateDate", u.CreateDate))
	if !passwordLastUsed.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("PasswordLastUsed", passwordLastUsed))
	}
	if withTags && len(u.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(sortedTags(u.Tags)))
	}
	return n
}

func groupNode(name string, g *iam.Group) awsproto.Node {
	return awsproto.El(name, awsproto.Tx("Path", g.Path), awsproto.Tx("GroupName", g.Name), awsproto.Tx("GroupId", g.ID),
		awsproto.Tx("Arn", g.ARN), awsproto.Time("CreateDate", g.CreateDate))
}

// roleNode is a role; detail adds what GetRole shows beyond ListRoles:
// its tags and its last use (an empty RoleLastUsed when never used).
func roleNode(name string, r *iam.Role, detail bool, lastUsed *iam.RoleLastUsed) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("Path", r.Path), awsproto.Tx("RoleName", r.Name), awsproto.Tx("RoleId", r.ID), awsproto.Tx("Arn", r.ARN),
		awsproto.Time("CreateDate", r.CreateDate), awsproto.Tx("AssumeRolePolicyDocument", encodeDocument(r.AssumeRolePolicy)))
	if r.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Description", r.Description))
	}
	n.Kids = append(n.Kids, awsproto.Int("MaxSessionDuration", r.MaxSessionDuration))
	if !detail {
		return n
	}
	if len(r.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(sortedTags(r.Tags)))
	}
	used := awsproto.El("RoleLastUsed")
	if lastUsed != nil {
		used.Kids = append(used.Kids, awsproto.Time("LastUsedDate", lastUsed.Date), awsproto.Tx("Region", lastUsed.Region))
	}
	n.Kids = append(n.Kids, used)
	return n
}

// policyNode is a managed policy; detail adds what GetPolicy and
// CreatePolicy show beyond ListPolicies: description and tags.
func policyNode(name string, p *iam.Policy, detail bool) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("PolicyName", p.Name), awsproto.Tx("PolicyId", p.ID), awsproto.Tx("Arn", p.ARN), awsproto.Tx("Path", p.Path),
		awsproto.Tx("DefaultVersionId", p.DefaultVersionID), awsproto.Int("AttachmentCount", p.AttachmentCount),
		awsproto.Int("PermissionsBoundaryUsageCount", 0), awsproto.Bool("IsAttachable", true))
	if detail && p.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("Description", p.Description))
	}
	n.Kids = append(n.Kids, awsproto.Time("CreateDate", p.CreateDate), awsproto.Time("UpdateDate", p.UpdateDate))
	if detail && len(p.Tags) > 0 {
		n.Kids = append(n.Kids, tagsNode(sortedTags(p.Tags)))
	}
	return n
}

// versionNode is one version of a policy; withDocument adds its document,
// which GetPolicyVersion shows and the other answers leave out.
func versionNode(name string, p *iam.Policy, v *iam.PolicyVersion, withDocument bool) awsproto.Node {
	n := awsproto.El(name)
	if withDocument {
		n.Kids = append(n.Kids, awsproto.Tx("Document", encodeDocument(v.Document)))
	}
	n.Kids = append(n.Kids, awsproto.Tx("VersionId", v.ID), awsproto.Bool("IsDefaultVersion", v.ID == p.DefaultVersionID),
		awsproto.Time("CreateDate", v.CreateDate))
	return n
}

type tag struct{ key, value string }

func sortedTags(m map[string]string) []tag {
	out := make([]tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, tag{k, m[k]})
	}
	return out
}

func tagsNode(ts []tag) awsproto.Node {
	items := make([]awsproto.Node, 0, len(ts))
	for _, t := range ts {
		items = append(items, awsproto.El("", awsproto.Tx("Key", t.key), awsproto.Tx("Value", t.value)))
	}
	return awsproto.List("Tags", "member", items)
}

// listResult is a list answer: the list, then IsTruncated and Marker.
func listResult(name string, items []awsproto.Node, more []awsproto.Node) []awsproto.Node {
	return append([]awsproto.Node{awsproto.List(name, "member", items)}, more...)
}
