package ssmapi

import (
	"context"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// Tag limits, as the model's TagKey and TagValue shapes bound them.
const (
	maxTagKey   = 128
	maxTagValue = 256
)

type getParameterRequest struct {
	Name           *string `json:"Name"`
	WithDecryption bool    `json:"WithDecryption"`
}

func (h *Handler) getParameter(ctx context.Context, c call, in *getParameterRequest) (any, error) {
	if in.Name == nil {
		return nil, ssm.Missing("name")
	}
	p, err := h.SSM.Get(ctx, c.sc, *in.Name)
	if err != nil {
		return nil, err
	}
	return struct {
		Parameter parameter `json:"Parameter"`
	}{parameterOf(*p)}, nil
}

type getParametersRequest struct {
	Names          []string `json:"Names"`
	WithDecryption bool     `json:"WithDecryption"`
}

func (h *Handler) getParameters(ctx context.Context, c call, in *getParametersRequest) (any, error) {
	if in.Names == nil {
		return nil, ssm.Missing("names")
	}
	res, err := h.SSM.GetMany(ctx, c.sc, in.Names)
	if err != nil {
		return nil, err
	}
	return struct {
		Parameters        []parameter `json:"Parameters"`
		InvalidParameters []string    `json:"InvalidParameters"`
	}{parametersOf(res.Parameters), res.Invalid}, nil
}

type getParametersByPathRequest struct {
	Path             *string  `json:"Path"`
	Recursive        bool     `json:"Recursive"`
	ParameterFilters []filter `json:"ParameterFilters"`
	WithDecryption   bool     `json:"WithDecryption"`
	MaxResults       *int32   `json:"MaxResults"`
	NextToken        *string  `json:"NextToken"`
}

func (h *Handler) getParametersByPath(ctx context.Context, c call, in *getParametersByPathRequest) (any, error) {
	if in.Path == nil {
		return nil, ssm.Missing("path")
	}
	ps, next, err := h.SSM.ByPath(ctx, c.sc, ssm.ByPathInput{Path: *in.Path, Recursive: in.Recursive,
		Filters: filtersIn(in.ParameterFilters), Page: ssm.Page{Limit: in.MaxResults, Token: in.NextToken}})
	if err != nil {
		return nil, err
	}
	return struct {
		Parameters []parameter `json:"Parameters"`
		NextToken  string      `json:"NextToken,omitempty"`
	}{parametersOf(ps), next}, nil
}

type getParameterHistoryRequest struct {
	Name           *string `json:"Name"`
	WithDecryption bool    `json:"WithDecryption"`
	MaxResults     *int32  `json:"MaxResults"`
	NextToken      *string `json:"NextToken"`
}

func (h *Handler) getParameterHistory(ctx context.Context, c call, in *getParameterHistoryRequest) (any, error) {
	if in.Name == nil {
		return nil, ssm.Missing("name")
	}
	ps, next, err := h.SSM.History(ctx, c.sc, *in.Name, ssm.Page{Limit: in.MaxResults, Token: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := make([]history, 0, len(ps))
	for _, p := range ps {
		out = append(out, history{Name: p.Name, Type: p.Type, LastModifiedDate: awsproto.Epoch(p.LastModified), LastModifiedUser: p.LastModifiedUser,
			Description: p.Description, Value: p.Value, AllowedPattern: p.AllowedPattern, Version: p.Version, Labels: []string{},
			Tier: p.Tier, Policies: []any{}, DataType: p.DataType})
	}
	return struct {
		Parameters []history `json:"Parameters"`
		NextToken  string    `json:"NextToken,omitempty"`
	}{out, next}, nil
}

type putParameterRequest struct {
	Name           *string `json:"Name"`
	Description    *string `json:"Description"`
	Value          *string `json:"Value"`
	Type           string  `json:"Type"`
	KeyID          *string `json:"KeyId"`
	Overwrite      bool    `json:"Overwrite"`
	AllowedPattern *string `json:"AllowedPattern"`
	Tags           []tag   `json:"Tags"`
	Tier           string  `json:"Tier"`
	Policies       *string `json:"Policies"`
	DataType       string  `json:"DataType"`
}

func (h *Handler) putParameter(ctx context.Context, c call, in *putParameterRequest) (any, error) {
	if in.Name == nil {
		return nil, ssm.Missing("name")
	}
	if in.Policies != nil && *in.Policies != "" {
		return nil, ssm.Errorf(ssm.CodeValidation, "keks does not serve parameter policies (Expiration, ExpirationNotification, NoChangeNotification).")
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	res, err := h.SSM.Put(ctx, c.sc, ssm.PutInput{Name: *in.Name, Value: in.Value, Type: in.Type, Description: in.Description,
		AllowedPattern: in.AllowedPattern, DataType: in.DataType, Tier: in.Tier, Overwrite: in.Overwrite, Tags: tags, User: c.user})
	if err != nil {
		return nil, err
	}
	return struct {
		Version int64  `json:"Version"`
		Tier    string `json:"Tier"`
	}{res.Version, res.Tier}, nil
}

// tagMap holds a request's tags to the model's shapes; a key given twice
// is refused, as AWS refuses it.
func tagMap(tags []tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, t := range tags {
		if err := ssm.CheckLength("tags.member.key", t.Key, 1, maxTagKey); err != nil {
			return nil, err
		}
		if err := ssm.CheckLength("tags.member.value", t.Value, 0, maxTagValue); err != nil {
			return nil, err
		}
		if _, dup := out[t.Key]; dup {
			return nil, ssm.Errorf(ssm.CodeValidation, "Duplicate tag keys aren't allowed.")
		}
		out[t.Key] = t.Value
	}
	return out, nil
}

type nameRequest struct {
	Name *string `json:"Name"`
}

func (h *Handler) deleteParameter(ctx context.Context, c call, in *nameRequest) (any, error) {
	if in.Name == nil {
		return nil, ssm.Missing("name")
	}
	if err := h.SSM.Delete(ctx, c.sc, *in.Name); err != nil {
		return nil, err
	}
	return empty{}, nil
}

type namesRequest struct {
	Names []string `json:"Names"`
}

func (h *Handler) deleteParameters(ctx context.Context, c call, in *namesRequest) (any, error) {
	if in.Names == nil {
		return nil, ssm.Missing("names")
	}
	res, err := h.SSM.DeleteMany(ctx, c.sc, in.Names)
	if err != nil {
		return nil, err
	}
	return struct {
		DeletedParameters []string `json:"DeletedParameters"`
		InvalidParameters []string `json:"InvalidParameters"`
	}{res.Deleted, res.Invalid}, nil
}

type describeParametersRequest struct {
	Filters          []filter `json:"Filters"`
	ParameterFilters []filter `json:"ParameterFilters"`
	MaxResults       *int32   `json:"MaxResults"`
	NextToken        *string  `json:"NextToken"`
	Shared           bool     `json:"Shared"`
}

func (h *Handler) describeParameters(ctx context.Context, c call, in *describeParametersRequest) (any, error) {
	ps, next, err := h.SSM.Describe(ctx, c.sc, ssm.DescribeInput{Filters: filtersIn(in.Filters), ParameterFilters: filtersIn(in.ParameterFilters),
		Page: ssm.Page{Limit: in.MaxResults, Token: in.NextToken}})
	if err != nil {
		return nil, err
	}
	out := make([]metadata, 0, len(ps))
	for _, p := range ps {
		out = append(out, metadata{Name: p.Name, ARN: p.ARN, Type: p.Type, LastModifiedDate: awsproto.Epoch(p.LastModified), LastModifiedUser: p.LastModifiedUser,
			Description: p.Description, AllowedPattern: p.AllowedPattern, Version: p.Version, Tier: p.Tier, Policies: []any{}, DataType: p.DataType})
	}
	return struct {
		Parameters []metadata `json:"Parameters"`
		NextToken  string     `json:"NextToken,omitempty"`
	}{out, next}, nil
}
