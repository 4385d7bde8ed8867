package kmsapi

import (
	"context"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

type createKeyRequest struct {
	Description                    string  `json:"Description"`
	KeySpec                        string  `json:"KeySpec"`
	CustomerMasterKeySpec          string  `json:"CustomerMasterKeySpec"`
	KeyUsage                       string  `json:"KeyUsage"`
	Origin                         string  `json:"Origin"`
	MultiRegion                    bool    `json:"MultiRegion"`
	CustomKeyStoreID               string  `json:"CustomKeyStoreId"`
	XksKeyID                       string  `json:"XksKeyId"`
	Policy                         *string `json:"Policy"`
	BypassPolicyLockoutSafetyCheck bool    `json:"BypassPolicyLockoutSafetyCheck"`
	Tags                           []tag   `json:"Tags"`
}

func (h *Handler) createKey(ctx context.Context, sc kms.Scope, in *createKeyRequest) (any, error) {
	customStore := in.CustomKeyStoreID
	if customStore == "" {
		customStore = in.XksKeyID // an external key store's key: keks has none either
	}
	k, err := h.KMS.CreateKey(ctx, sc, kms.CreateKeyInput{Description: in.Description, KeySpec: in.KeySpec,
		CustomerMasterKeySpec: in.CustomerMasterKeySpec, KeyUsage: in.KeyUsage, Origin: in.Origin, MultiRegion: in.MultiRegion,
		CustomKeyStoreID: customStore, Policy: in.Policy, BypassPolicyLockoutSafetyCheck: in.BypassPolicyLockoutSafetyCheck, Tags: tagsIn(in.Tags)})
	if err != nil {
		return nil, err
	}
	return keyMetadataResponse{metadataOf(k)}, nil
}

// keyRequest is the request of the operations that take only a key.
type keyRequest struct {
	KeyID       string   `json:"KeyId"`
	GrantTokens []string `json:"GrantTokens"`
}

func (h *Handler) describeKey(ctx context.Context, sc kms.Scope, in *keyRequest) (any, error) {
	k, err := h.KMS.DescribeKey(ctx, sc, in.KeyID)
	if err != nil {
		return nil, err
	}
	return keyMetadataResponse{metadataOf(k)}, nil
}

// listRequest is the paging members of a listing's request.
type listRequest struct {
	KeyID  string  `json:"KeyId"`
	Limit  *int    `json:"Limit"`
	Marker *string `json:"Marker"`
}

func (l *listRequest) page() kms.Page { return kms.Page{Limit: l.Limit, Marker: l.Marker} }

type keyListEntry struct {
	KeyID  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

func (h *Handler) listKeys(ctx context.Context, sc kms.Scope, in *listRequest) (any, error) {
	keys, next, err := h.KMS.ListKeys(ctx, sc, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		Keys []keyListEntry `json:"Keys"`
		page
	}{Keys: make([]keyListEntry, 0, len(keys)), page: pageOf(next)}
	for _, k := range keys {
		out.Keys = append(out.Keys, keyListEntry{KeyID: k.ID, KeyArn: k.ARN})
	}
	return out, nil
}

func (h *Handler) enableKey(ctx context.Context, sc kms.Scope, in *keyRequest) (any, error) {
	return empty{}, h.KMS.EnableKey(ctx, sc, in.KeyID)
}

func (h *Handler) disableKey(ctx context.Context, sc kms.Scope, in *keyRequest) (any, error) {
	return empty{}, h.KMS.DisableKey(ctx, sc, in.KeyID)
}

type scheduleKeyDeletionRequest struct {
	KeyID               string `json:"KeyId"`
	PendingWindowInDays *int   `json:"PendingWindowInDays"`
}

func (h *Handler) scheduleKeyDeletion(ctx context.Context, sc kms.Scope, in *scheduleKeyDeletionRequest) (any, error) {
	k, err := h.KMS.ScheduleKeyDeletion(ctx, sc, in.KeyID, in.PendingWindowInDays)
	if err != nil {
		return nil, err
	}
	return struct {
		KeyID               string         `json:"KeyId"`
		DeletionDate        awsproto.Epoch `json:"DeletionDate"`
		KeyState            string         `json:"KeyState"`
		PendingWindowInDays int            `json:"PendingWindowInDays"`
	}{k.ARN, awsproto.Epoch(*k.DeletionDate), k.State, k.PendingWindowInDays}, nil
}

func (h *Handler) cancelKeyDeletion(ctx context.Context, sc kms.Scope, in *keyRequest) (any, error) {
	k, err := h.KMS.CancelKeyDeletion(ctx, sc, in.KeyID)
	if err != nil {
		return nil, err
	}
	return struct {
		KeyID string `json:"KeyId"`
	}{k.ARN}, nil
}

type updateKeyDescriptionRequest struct {
	KeyID       string `json:"KeyId"`
	Description string `json:"Description"`
}

func (h *Handler) updateKeyDescription(ctx context.Context, sc kms.Scope, in *updateKeyDescriptionRequest) (any, error) {
	return empty{}, h.KMS.UpdateKeyDescription(ctx, sc, in.KeyID, in.Description)
}

func (h *Handler) getKeyRotationStatus(ctx context.Context, sc kms.Scope, in *keyRequest) (any, error) {
	k, enabled, err := h.KMS.KeyRotationEnabled(ctx, sc, in.KeyID)
	if err != nil {
		return nil, err
	}
	return struct {
		KeyID              string `json:"KeyId"`
		KeyRotationEnabled bool   `json:"KeyRotationEnabled"`
	}{k.ARN, enabled}, nil
}
