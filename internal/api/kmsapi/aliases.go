package kmsapi

import (
	"context"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

type aliasRequest struct {
	AliasName   string `json:"AliasName"`
	TargetKeyID string `json:"TargetKeyId"`
}

func (h *Handler) createAlias(ctx context.Context, sc kms.Scope, in *aliasRequest) (any, error) {
	return empty{}, h.KMS.CreateAlias(ctx, sc, in.AliasName, in.TargetKeyID)
}

func (h *Handler) deleteAlias(ctx context.Context, sc kms.Scope, in *aliasRequest) (any, error) {
	return empty{}, h.KMS.DeleteAlias(ctx, sc, in.AliasName)
}

func (h *Handler) updateAlias(ctx context.Context, sc kms.Scope, in *aliasRequest) (any, error) {
	return empty{}, h.KMS.UpdateAlias(ctx, sc, in.AliasName, in.TargetKeyID)
}

type aliasListEntry struct {
	AliasName       string         `json:"AliasName"`
	AliasArn        string         `json:"AliasArn"`
	TargetKeyID     string         `json:"TargetKeyId"`
	CreationDate    awsproto.Epoch `json:"CreationDate"`
	LastUpdatedDate awsproto.Epoch `json:"LastUpdatedDate"`
}

func (h *Handler) listAliases(ctx context.Context, sc kms.Scope, in *listRequest) (any, error) {
	aliases, next, err := h.KMS.ListAliases(ctx, sc, in.KeyID, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		Aliases []aliasListEntry `json:"Aliases"`
		page
	}{Aliases: make([]aliasListEntry, 0, len(aliases)), page: pageOf(next)}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, aliasListEntry{AliasName: a.Name, AliasArn: a.ARN, TargetKeyID: a.TargetKeyID,
			CreationDate: awsproto.Epoch(a.CreatedAt), LastUpdatedDate: awsproto.Epoch(a.UpdatedAt)})
	}
	return out, nil
}
