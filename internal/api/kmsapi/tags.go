package kmsapi

import (
	"context"

	"github.com/keksdev/keks/internal/kms"
)

type tagRequest struct {
	KeyID   string   `json:"KeyId"`
	Tags    []tag    `json:"Tags"`
	TagKeys []string `json:"TagKeys"`
}

func (h *Handler) tagResource(ctx context.Context, sc kms.Scope, in *tagRequest) (any, error) {
	return empty{}, h.KMS.TagResource(ctx, sc, in.KeyID, tagsIn(in.Tags))
}

func (h *Handler) untagResource(ctx context.Context, sc kms.Scope, in *tagRequest) (any, error) {
	return empty{}, h.KMS.UntagResource(ctx, sc, in.KeyID, in.TagKeys)
}

func (h *Handler) listResourceTags(ctx context.Context, sc kms.Scope, in *listRequest) (any, error) {
	tags, next, err := h.KMS.ListResourceTags(ctx, sc, in.KeyID, in.page())
	if err != nil {
		return nil, err
	}
	out := struct {
		Tags []tag `json:"Tags"`
		page
	}{Tags: make([]tag, 0, len(tags)), page: pageOf(next)}
	for _, t := range tags {
		out.Tags = append(out.Tags, tag{TagKey: t.Key, TagValue: t.Value})
	}
	return out, nil
}
