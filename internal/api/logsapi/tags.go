package logsapi

import (
	"context"

	"github.com/keksdev/keks/internal/cwlogs"
)

type tagResourceRequest struct {
	ResourceArn string            `json:"resourceArn"`
	Tags        map[string]string `json:"tags"`
	TagKeys     []string          `json:"tagKeys"`
}

type tagsResponse struct {
	Tags map[string]string `json:"tags"`
}

// groupOf is the log group a tagging call's resourceArn names.
func groupOf(sc scope, arn string) (string, error) {
	return cwlogs.GroupOfARN(sc.account, sc.region, arn)
}

func (h *Handler) tagResource(ctx context.Context, sc scope, in *tagResourceRequest) (any, error) {
	name, err := groupOf(sc, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, cwlogs.Missing("tags")
	}
	return empty{}, h.Logs.TagLogGroup(ctx, sc.account, sc.region, name, in.Tags)
}

func (h *Handler) untagResource(ctx context.Context, sc scope, in *tagResourceRequest) (any, error) {
	name, err := groupOf(sc, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if in.TagKeys == nil {
		return nil, cwlogs.Missing("tagKeys")
	}
	return empty{}, h.Logs.UntagLogGroup(ctx, sc.account, sc.region, name, in.TagKeys)
}

func (h *Handler) listTagsForResource(ctx context.Context, sc scope, in *tagResourceRequest) (any, error) {
	name, err := groupOf(sc, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return h.tagsOf(ctx, sc, name)
}

func (h *Handler) tagsOf(ctx context.Context, sc scope, name string) (any, error) {
	tags, err := h.Logs.ListTags(ctx, sc.account, sc.region, name)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return tagsResponse{Tags: tags}, nil
}

// The older, per-group tagging calls.

type tagLogGroupRequest struct {
	LogGroupName string            `json:"logGroupName"`
	Tags         map[string]string `json:"tags"`
}

func (h *Handler) tagLogGroup(ctx context.Context, sc scope, in *tagLogGroupRequest) (any, error) {
	if in.Tags == nil {
		if err := cwlogs.CheckGroupName("logGroupName", in.LogGroupName); err != nil {
			return nil, err
		}
		return nil, cwlogs.Missing("tags")
	}
	return empty{}, h.Logs.TagLogGroup(ctx, sc.account, sc.region, in.LogGroupName, in.Tags)
}

type untagLogGroupRequest struct {
	LogGroupName string   `json:"logGroupName"`
	Tags         []string `json:"tags"` // keys, as this older call names them
}

func (h *Handler) untagLogGroup(ctx context.Context, sc scope, in *untagLogGroupRequest) (any, error) {
	if len(in.Tags) == 0 {
		if err := cwlogs.CheckGroupName("logGroupName", in.LogGroupName); err != nil {
			return nil, err
		}
		return nil, cwlogs.Missing("tags")
	}
	return empty{}, h.Logs.UntagLogGroup(ctx, sc.account, sc.region, in.LogGroupName, in.Tags)
}

func (h *Handler) listTagsLogGroup(ctx context.Context, sc scope, in *groupNameRequest) (any, error) {
	return h.tagsOf(ctx, sc, in.LogGroupName)
}
