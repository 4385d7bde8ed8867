// Package stsapi is the Query-protocol wire layer of STS: GetCallerIdentity
// and AssumeRole, over internal/iam.
package stsapi

import (
	"net/http"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// Handler serves STS actions.
type Handler struct {
	IAM *iam.Service
}

// Service returns the front door's entry for STS.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "sts", Query: true, Version: "2011-06-15", Checks: h.checks, Handle: h.handle}
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	action := c.Form.Get("Action")
	switch action {
	case "GetCallerIdentity":
		awsproto.WriteQueryResult(w, c.RequestID, action, xmlns,
			awsproto.Tx("Arn", c.Principal.ARN), awsproto.Tx("UserId", c.Principal.UserID), awsproto.Tx("Account", c.Principal.Account))
		return nil
	case "AssumeRole":
		if c.Form.Get("RoleArn") == "" || c.Form.Get("RoleSessionName") == "" {
			return awserr.Errorf(iam.CodeValidation, "RoleArn and RoleSessionName are required")
		}
		dur := 0
		if v := c.Form.Get("DurationSeconds"); v != "" {
			var err error
			if dur, err = strconv.Atoi(v); err != nil {
				return awserr.Errorf(iam.CodeValidation, "DurationSeconds must be a number")
			}
		}
		creds, err := h.IAM.AssumeRole(r.Context(), c.Principal, c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName"), dur)
		if err != nil {
			return err
		}
		awsproto.WriteQueryResult(w, c.RequestID, action, xmlns,
			awsproto.El("Credentials", awsproto.Tx("AccessKeyId", creds.AccessKeyID), awsproto.Tx("SecretAccessKey", creds.SecretAccessKey),
				awsproto.Tx("SessionToken", creds.SessionToken), awsproto.Time("Expiration", creds.Expiration)),
			awsproto.El("AssumedRoleUser", awsproto.Tx("AssumedRoleId", creds.AssumedRoleID), awsproto.Tx("Arn", creds.AssumedRoleARN)))
		return nil
	default:
		return awserr.Errorf(awserr.CodeInvalidAction, "Could not find operation %s for version 2011-06-15", action)
	}
}
