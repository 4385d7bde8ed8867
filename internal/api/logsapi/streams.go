package logsapi

import (
	"context"

	"github.com/keksdev/keks/internal/cwlogs"
)

type streamRequest struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

func (h *Handler) createLogStream(ctx context.Context, sc scope, in *streamRequest) (any, error) {
	return empty{}, h.Logs.CreateLogStream(ctx, sc.account, sc.region, in.LogGroupName, in.LogStreamName)
}

func (h *Handler) deleteLogStream(ctx context.Context, sc scope, in *streamRequest) (any, error) {
	return empty{}, h.Logs.DeleteLogStream(ctx, sc.account, sc.region, in.LogGroupName, in.LogStreamName)
}

type describeLogStreamsRequest struct {
	LogGroupName        string `json:"logGroupName"`
	LogGroupIdentifier  string `json:"logGroupIdentifier"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix"`
	OrderBy             string `json:"orderBy"`
	Descending          bool   `json:"descending"`
	Limit               *int   `json:"limit"`
	NextToken           string `json:"nextToken"`
}

// logStream is the model's LogStream.
type logStream struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	// StoredBytes is always 0 for streams, as CloudWatch has answered
	// since 2019 (groups still count theirs).
	StoredBytes int64 `json:"storedBytes"`
}

type describeLogStreamsResponse struct {
	LogStreams []logStream `json:"logStreams"`
	NextToken  string      `json:"nextToken,omitempty"`
}

func (h *Handler) describeLogStreams(ctx context.Context, sc scope, in *describeLogStreamsRequest) (any, error) {
	out, err := h.Logs.DescribeLogStreams(ctx, sc.account, sc.region, cwlogs.DescribeLogStreamsInput{
		Group:      cwlogs.GroupRef{Name: in.LogGroupName, Identifier: in.LogGroupIdentifier},
		NamePrefix: in.LogStreamNamePrefix, OrderBy: in.OrderBy, Descending: in.Descending, Limit: in.Limit, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	resp := describeLogStreamsResponse{LogStreams: make([]logStream, 0, len(out.Streams)), NextToken: out.NextToken}
	for _, s := range out.Streams {
		wire := logStream{LogStreamName: s.Name, CreationTime: s.CreationTime, UploadSequenceToken: s.UploadSequenceToken, Arn: s.ARN}
		if s.LastIngestionTime != 0 {
			first, last, ingested := s.FirstEventTimestamp, s.LastEventTimestamp, s.LastIngestionTime
			wire.FirstEventTimestamp, wire.LastEventTimestamp, wire.LastIngestionTime = &first, &last, &ingested
		}
		resp.LogStreams = append(resp.LogStreams, wire)
	}
	return resp, nil
}
