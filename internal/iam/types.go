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
}

// Policy is a customer managed policy.
type Policy struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ARN         string    `json:"arn"`
	ID          string    `json:"id"`
	Document    string    `json:"document"`
	Description string    `json:"description,omitempty"`
	CreateDate  time.Time `json:"createDate"`
}

// AccessKey is a long-term user key or the key of an STS session.
type AccessKey struct {
	ID         string    `json:"id"`
	Secret     string    `json:"secret"`
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
}

// Identity is who a key belongs to, as GetCallerIdentity reports it.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}
