package logsapi

import (
	"context"
	"fmt"

	"github.com/keksdev/keks/internal/cwlogs"
)

type inputLogEvent struct {
	Timestamp *int64  `json:"timestamp"`
	Message   *string `json:"message"`
}

type putLogEventsRequest struct {
	LogGroupName  string          `json:"logGroupName"`
	LogStreamName string          `json:"logStreamName"`
	LogEvents     []inputLogEvent `json:"logEvents"`
	// SequenceToken is accepted and ignored, as CloudWatch does.
	SequenceToken string `json:"sequenceToken"`
}

type rejectedLogEventsInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

type putLogEventsResponse struct {
	NextSequenceToken     string                 `json:"nextSequenceToken"`
	RejectedLogEventsInfo *rejectedLogEventsInfo `json:"rejectedLogEventsInfo,omitempty"`
}

func (h *Handler) putLogEvents(ctx context.Context, sc scope, in *putLogEventsRequest) (any, error) {
	if in.LogEvents == nil {
		return nil, cwlogs.Missing("logEvents")
	}
	events := make([]cwlogs.InputLogEvent, len(in.LogEvents))
	for i, e := range in.LogEvents {
		switch {
		case e.Timestamp == nil:
			return nil, cwlogs.Missing(fmt.Sprintf("logEvents.%d.member.timestamp", i+1))
		case e.Message == nil:
			return nil, cwlogs.Missing(fmt.Sprintf("logEvents.%d.member.message", i+1))
		}
		events[i] = cwlogs.InputLogEvent{Timestamp: *e.Timestamp, Message: *e.Message}
	}
	out, err := h.Logs.PutLogEvents(ctx, sc.account, sc.region, cwlogs.PutLogEventsInput{Group: in.LogGroupName, Stream: in.LogStreamName, Events: events})
	if err != nil {
		return nil, err
	}
	resp := putLogEventsResponse{NextSequenceToken: out.NextSequenceToken}
	if r := out.Rejected; r != nil {
		resp.RejectedLogEventsInfo = &rejectedLogEventsInfo{TooNewLogEventStartIndex: r.TooNewStartIndex, TooOldLogEventEndIndex: r.TooOldEndIndex,
			ExpiredLogEventEndIndex: r.ExpiredEndIndex}
	}
	return resp, nil
}

type getLogEventsRequest struct {
	LogGroupName       string `json:"logGroupName"`
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	LogStreamName      string `json:"logStreamName"`
	StartTime          *int64 `json:"startTime"`
	EndTime            *int64 `json:"endTime"`
	NextToken          string `json:"nextToken"`
	Limit              *int   `json:"limit"`
	StartFromHead      bool   `json:"startFromHead"`
	Unmask             bool   `json:"unmask"` // keks masks nothing
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

type getLogEventsResponse struct {
	Events            []outputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken"`
	NextBackwardToken string           `json:"nextBackwardToken"`
}

func (h *Handler) getLogEvents(ctx context.Context, sc scope, in *getLogEventsRequest) (any, error) {
	out, err := h.Logs.GetLogEvents(ctx, sc.account, sc.region, cwlogs.GetLogEventsInput{
		Group: cwlogs.GroupRef{Name: in.LogGroupName, Identifier: in.LogGroupIdentifier}, Stream: in.LogStreamName,
		TimeRange: cwlogs.TimeRange{Start: in.StartTime, End: in.EndTime}, Limit: in.Limit, StartFromHead: in.StartFromHead, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	resp := getLogEventsResponse{Events: make([]outputLogEvent, len(out.Events)), NextForwardToken: out.NextForwardToken, NextBackwardToken: out.NextBackwardToken}
	for i, e := range out.Events {
		resp.Events[i] = outputLogEvent{Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.IngestionTime}
	}
	return resp, nil
}

type filterLogEventsRequest struct {
	LogGroupName        string   `json:"logGroupName"`
	LogGroupIdentifier  string   `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           string   `json:"nextToken"`
	Limit               *int     `json:"limit"`
	// Interleaved is ignored: CloudWatch has always interleaved since 2019.
	Interleaved   *bool `json:"interleaved"`
	StartFromHead *bool `json:"startFromHead"`
	Unmask        bool  `json:"unmask"`
}

type filteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

type searchedLogStream struct {
	LogStreamName      string `json:"logStreamName"`
	SearchedCompletely bool   `json:"searchedCompletely"`
}

type filterLogEventsResponse struct {
	Events []filteredLogEvent `json:"events"`
	// SearchedLogStreams is always empty, as CloudWatch's has been since 2020.
	SearchedLogStreams []searchedLogStream `json:"searchedLogStreams"`
	NextToken          string              `json:"nextToken,omitempty"`
}

func (h *Handler) filterLogEvents(ctx context.Context, sc scope, in *filterLogEventsRequest) (any, error) {
	out, err := h.Logs.FilterLogEvents(ctx, sc.account, sc.region, cwlogs.FilterLogEventsInput{
		Group: cwlogs.GroupRef{Name: in.LogGroupName, Identifier: in.LogGroupIdentifier}, StreamNames: in.LogStreamNames,
		StreamNamePrefix: in.LogStreamNamePrefix, TimeRange: cwlogs.TimeRange{Start: in.StartTime, End: in.EndTime},
		FilterPattern: in.FilterPattern, Limit: in.Limit, StartFromHead: in.StartFromHead, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	resp := filterLogEventsResponse{Events: make([]filteredLogEvent, len(out.Events)), SearchedLogStreams: []searchedLogStream{}, NextToken: out.NextToken}
	for i, e := range out.Events {
		resp.Events[i] = filteredLogEvent{LogStreamName: e.Stream, Timestamp: e.Timestamp, Message: e.Message, IngestionTime: e.IngestionTime, EventID: e.EventID}
	}
	return resp, nil
}
