package imds

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
)

const (
	// sessionDuration is how long an instance's role session lasts; EC2
	// hands out sessions of about 6 h too.
	sessionDuration = 6 * time.Hour
	// renewBefore is how long before a session's end a new one is handed
	// out: SDKs refresh a few minutes before the expiry they were given.
	renewBefore = 15 * time.Minute
	// issueTimeout bounds a session's issue, which goes on after the asker
	// gives up (SDKs wait 0.5 s for metadata): its retry finds the session made.
	issueTimeout = 30 * time.Second
)

// session is the role session an instance is being handed.
type session struct {
	roleARN string
	creds   *iam.Credentials
	issued  time.Time
}

// session returns the instance's role session, issuing one (named after the
// instance, as EC2 names them) when there is none or it ends within
// renewBefore. Sessions live in memory: a new keks process issues anew.
func (h *Handler) session(ctx context.Context, in *ec2.Instance) (session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if s, ok := h.sessions[in.ID]; ok && s.roleARN == in.RoleARN && now.Before(s.creds.Expiration.Add(-renewBefore)) {
		return s, nil
	}
	if h.IssueSession == nil {
		return session{}, fmt.Errorf("no role sessions to hand out")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), issueTimeout)
	defer cancel()
	// A Fargate node's session is named after the node, which is how
	// its FARGATE_LINUX access entry names its user (system:node:{{SessionName}}).
	name := in.ID
	if in.Fargate != nil {
		name = in.NodeName()
	}
	creds, err := h.IssueSession(ctx, in.RoleARN, name, sessionDuration)
	if err != nil {
		return session{}, fmt.Errorf("issue a session of %s for %s: %w", in.RoleARN, in.ID, err)
	}
	s := session{roleARN: in.RoleARN, creds: creds, issued: now}
	h.sessions[in.ID] = s
	h.log().Info("role session for an instance", "instance", in.ID, "role", in.RoleARN, "expires", creds.Expiration)
	for id, old := range h.sessions {
		if now.After(old.creds.Expiration) {
			delete(h.sessions, id) // its instance is gone or asks no more
		}
	}
	return s, nil
}

// credentialsDocument is iam/security-credentials/<role>, which SDKs parse.
type credentialsDocument struct {
	Code            string
	LastUpdated     string
	Type            string
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      string
}

func (h *Handler) credentials(ctx context.Context, in *ec2.Instance) (string, error) {
	s, err := h.session(ctx, in)
	if err != nil {
		return "", err
	}
	return document(credentialsDocument{
		Code: "Success", LastUpdated: timestamp(s.issued), Type: "AWS-HMAC",
		AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey, Token: s.creds.SessionToken,
		Expiration: timestamp(s.creds.Expiration),
	})
}

// iamInfoDocument is iam/info.
type iamInfoDocument struct {
	Code               string
	LastUpdated        string
	InstanceProfileArn string
	InstanceProfileId  string //nolint:revive // EC2's spelling
}

func iamInfo(in *ec2.Instance) (string, error) {
	return document(iamInfoDocument{
		Code: "Success", LastUpdated: timestamp(in.LaunchTime),
		InstanceProfileArn: instanceProfileARN(in), InstanceProfileId: instanceProfileID(in),
	})
}

// document renders a JSON answer laid out as EC2 lays out its own.
func document(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("render metadata document: %w", err)
	}
	return string(b), nil
}

// timestamp is EC2's metadata time format: UTC, to the second.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
