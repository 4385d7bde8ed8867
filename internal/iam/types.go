package iam

import "time"

// Account is the one AWS account a keks installation serves.
type Account struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
}

// User is an IAM user.
type User struct {
	Name       string            `json:"name"`
	Path       string            `json:"path"`
	ARN        string            `json:"arn"`
	ID         string            `json:"id"`
	CreateDate time.Time         `json:"createDate"`
	Tags       map[string]string `json:"tags,omitempty"`
	Policies   []string          `json:"policies,omitempty"` // attached managed policy ARNs
	// InlinePolicies are the user's own policies: name → document.
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
	// Groups holds the IDs (not names, so that renaming a group touches
	// only the group) of the groups the user is in.
	Groups []string `json:"groups,omitempty"`
}

// Role is an IAM role.
type Role struct {
	Name               string            `json:"name"`
	Path               string            `json:"path"`
	ARN                string            `json:"arn"`
	ID                 string            `json:"id"`
	Description        string            `json:"description,omitempty"`
	AssumeRolePolicy   string            `json:"assumeRolePolicy"`
	MaxSessionDuration int               `json:"maxSessionDuration"`
	CreateDate         time.Time         `json:"createDate"`
	Tags               map[string]string `json:"tags,omitempty"`
	Policies           []string          `json:"policies,omitempty"` // attached managed policy ARNs
	// InlinePolicies are the role's own permissions policies: name → document.
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
}

// Group is an IAM group; its members are the users that name it.
type Group struct {
	Name           string            `json:"name"`
	Path           string            `json:"path"`
	ARN            string            `json:"arn"`
	ID             string            `json:"id"`
	CreateDate     time.Time         `json:"createDate"`
	Policies       []string          `json:"policies,omitempty"`       // attached managed policy ARNs
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"` // name → document
}

// Policy is a managed policy: a customer's, kept in the store, or one of
// AWS's, described from internal/iam/awspolicies.
type Policy struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ARN         string    `json:"arn"`
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	CreateDate  time.Time `json:"createDate"`
	// UpdateDate is when the newest version was made.
	UpdateDate time.Time `json:"updateDate,omitzero"`
	// Document is the default version's document, kept beside Versions
	// so that authorizing a call reads one field.
	Document         string            `json:"document"`
	DefaultVersionID string            `json:"defaultVersionId,omitempty"`
	Versions         []PolicyVersion   `json:"versions,omitempty"`
	NextVersion      int               `json:"nextVersion,omitempty"` // IAM never reuses a version number
	AttachmentCount  int               `json:"attachmentCount,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	// AWSManaged marks a policy of AWS's, which has no store record.
	AWSManaged bool `json:"-"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID         string    `json:"id"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"createDate"`
}

// AccessKey is a long-term user key or the key of an STS session.
type AccessKey struct {
	ID         string    `json:"id"`
	Secret     string    `json:"secret"` // the secret itself; sealed in the store (sealing.go)
	Status     string    `json:"status"` // Active or Inactive
	CreateDate time.Time `json:"createDate"`
	UserName   string    `json:"userName,omitempty"`
	Session    *Session  `json:"session,omitempty"`
}

// Session is the part of an access key that only STS sessions have.
type Session struct {
	Token       string    `json:"token"`
	Expiration  time.Time `json:"expiration"`
	RoleARN     string    `json:"roleArn"`
	RoleID      string    `json:"roleId"`
	SessionName string    `json:"sessionName"`
	// Tags are the session's tags (aws:PrincipalTag), over the role's.
	Tags map[string]string `json:"tags,omitempty"`
	// Policy is the session policy it was given, if any.
	Policy string `json:"policy,omitempty"`
	// Forward, when set, makes the key a forward access session: it signs
	// as exactly this principal (a user, the root or a role session), as
	// an AWS service acting for its caller does (forward.go).
	Forward *ForwardPrincipal `json:"forward,omitempty"`
}

// Identity is who a key belongs to, as GetCallerIdentity reports it.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// KeyLastUsed is when, where and for what service a long-term key last
// signed a request. IAM tracks it only approximately, and so does keks.
type KeyLastUsed struct {
	Date    time.Time `json:"date"`
	Service string    `json:"service"`
	Region  string    `json:"region"`
}

// RoleLastUsed is when and where a session of a role last signed a request.
type RoleLastUsed struct {
	Date   time.Time `json:"date"`
	Region string    `json:"region"`
	// RoleID is the role the session was of: a role made again under the
	// same name has not been used.
	RoleID string `json:"roleId"`
}
