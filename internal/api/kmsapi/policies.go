package kmsapi

import (
	"context"

	"github.com/keksdev/keks/internal/kms"
)

type keyPolicyRequest struct {
	KeyID                          string `json:"KeyId"`
	PolicyName                     string `json:"PolicyName"`
	Policy                         string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool   `json:"BypassPolicyLockoutSafetyCheck"`
}

func (h *Handler) getKeyPolicy(ctx context.Context, sc kms.Scope, in *keyPolicyRequest) (any, error) {
	doc, err := h.KMS.GetKeyPolicy(ctx, sc, in.KeyID, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return struct {
		Policy     string `json:"Policy"`
		PolicyName string `json:"PolicyName"`
	}{doc, kms.DefaultPolicyName}, nil
}

func (h *Handler) putKeyPolicy(ctx context.Context, sc kms.Scope, in *keyPolicyRequest) (any, error) {
	return empty{}, h.KMS.PutKeyPolicy(ctx, sc, in.KeyID, in.PolicyName, in.Policy)
}

func (h *Handler) listKeyPolicies(ctx context.Context, sc kms.Scope, in *listRequest) (any, error) {
	names, next, err := h.KMS.ListKeyPolicies(ctx, sc, in.KeyID, in.page())
	if err != nil {
		return nil, err
	}
	return struct {
		PolicyNames []string `json:"PolicyNames"`
		page
	}{names, pageOf(next)}, nil
}
