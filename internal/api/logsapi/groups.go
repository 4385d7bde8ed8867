package logsapi

import (
	"context"

	"github.com/keksdev/keks/internal/cwlogs"
)

type createLogGroupRequest struct {
	LogGroupName  string            `json:"logGroupName"`
	KmsKeyID      string            `json:"kmsKeyId"`
	Tags          map[string]string `json:"tags"`
	LogGroupClass string            `json:"logGroupClass"`
}

func (h *Handler) createLogGroup(ctx context.Context, sc scope, in *createLogGroupRequest) (any, error) {
	return empty{}, h.Logs.CreateLogGroup(ctx, sc.account, sc.region, cwlogs.CreateLogGroupInput{
		Name: in.LogGroupName, Tags: in.Tags, KMSKeyID: in.KmsKeyID, Class: in.LogGroupClass})
}

type groupNameRequest struct {
	LogGroupName string `json:"logGroupName"`
}

func (h *Handler) deleteLogGroup(ctx context.Context, sc scope, in *groupNameRequest) (any, error) {
	return empty{}, h.Logs.DeleteLogGroup(ctx, sc.account, sc.region, in.LogGroupName)
}

type describeLogGroupsRequest struct {
	LogGroupNamePrefix  string   `json:"logGroupNamePrefix"`
	LogGroupNamePattern string   `json:"logGroupNamePattern"`
	LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
	LogGroupClass       string   `json:"logGroupClass"`
	Limit               *int     `json:"limit"`
	NextToken           string   `json:"nextToken"`
}

// logGroup is the model's LogGroup.
type logGroup struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   *int   `json:"retentionInDays,omitempty"`
	MetricFilterCount *int   `json:"metricFilterCount,omitempty"`
	Arn               string `json:"arn"`
	StoredBytes       *int64 `json:"storedBytes,omitempty"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass,omitempty"`
	LogGroupArn       string `json:"logGroupArn,omitempty"`
}

type describeLogGroupsResponse struct {
	LogGroups []logGroup `json:"logGroups"`
	NextToken string     `json:"nextToken,omitempty"`
}

func (h *Handler) describeLogGroups(ctx context.Context, sc scope, in *describeLogGroupsRequest) (any, error) {
	out, err := h.Logs.DescribeLogGroups(ctx, sc.account, sc.region, cwlogs.DescribeLogGroupsInput{
		NamePrefix: in.LogGroupNamePrefix, NamePattern: in.LogGroupNamePattern, Identifiers: in.LogGroupIdentifiers,
		Class: in.LogGroupClass, Limit: in.Limit, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	resp := describeLogGroupsResponse{LogGroups: make([]logGroup, 0, len(out.Groups)), NextToken: out.NextToken}
	for _, g := range out.Groups {
		// arn carries ":*": the form IAM policies name log groups by.
		wire := logGroup{LogGroupName: g.Name, CreationTime: g.CreationTime, Arn: g.ARN + ":*"}
		if !out.Brief {
			stored, filters := g.StoredBytes, 0
			wire.StoredBytes, wire.MetricFilterCount = &stored, &filters
			wire.KmsKeyID, wire.LogGroupClass, wire.LogGroupArn = g.KMSKeyID, g.Class, g.ARN
			if g.RetentionInDays > 0 {
				days := g.RetentionInDays
				wire.RetentionInDays = &days
			}
		}
		resp.LogGroups = append(resp.LogGroups, wire)
	}
	return resp, nil
}

type putRetentionPolicyRequest struct {
	LogGroupName    string `json:"logGroupName"`
	RetentionInDays *int   `json:"retentionInDays"`
}

func (h *Handler) putRetentionPolicy(ctx context.Context, sc scope, in *putRetentionPolicyRequest) (any, error) {
	if in.RetentionInDays == nil {
		if err := cwlogs.CheckGroupName("logGroupName", in.LogGroupName); err != nil {
			return nil, err
		}
		return nil, cwlogs.Missing("retentionInDays")
	}
	return empty{}, h.Logs.PutRetentionPolicy(ctx, sc.account, sc.region, in.LogGroupName, *in.RetentionInDays)
}

func (h *Handler) deleteRetentionPolicy(ctx context.Context, sc scope, in *groupNameRequest) (any, error) {
	return empty{}, h.Logs.DeleteRetentionPolicy(ctx, sc.account, sc.region, in.LogGroupName)
}
