package ssmapi

import (
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ssm"
)

// parameter is the model's Parameter shape.
type parameter struct {
	Name             string         `json:"Name"`
	Type             string         `json:"Type"`
	Value            string         `json:"Value"`
	Version          int64          `json:"Version"`
	Selector         string         `json:"Selector,omitempty"`
	LastModifiedDate awsproto.Epoch `json:"LastModifiedDate"`
	ARN              string         `json:"ARN"`
	DataType         string         `json:"DataType"`
}

func parameterOf(p ssm.Parameter) parameter {
	return parameter{Name: p.Name, Type: p.Type, Value: p.Value, Version: p.Version, Selector: p.Selector,
		LastModifiedDate: awsproto.Epoch(p.LastModified), ARN: p.ARN, DataType: p.DataType}
}

func parametersOf(ps []ssm.Parameter) []parameter {
	out := make([]parameter, 0, len(ps))
	for _, p := range ps {
		out = append(out, parameterOf(p))
	}
	return out
}

// metadata is DescribeParameters' ParameterMetadata: no value.
type metadata struct {
	Name             string         `json:"Name"`
	ARN              string         `json:"ARN"`
	Type             string         `json:"Type"`
	LastModifiedDate awsproto.Epoch `json:"LastModifiedDate"`
	LastModifiedUser string         `json:"LastModifiedUser,omitempty"`
	Description      string         `json:"Description,omitempty"`
	AllowedPattern   string         `json:"AllowedPattern,omitempty"`
	Version          int64          `json:"Version"`
	Tier             string         `json:"Tier"`
	Policies         []any          `json:"Policies"`
	DataType         string         `json:"DataType"`
}

// history is GetParameterHistory's ParameterHistory.
type history struct {
	Name             string         `json:"Name"`
	Type             string         `json:"Type"`
	LastModifiedDate awsproto.Epoch `json:"LastModifiedDate"`
	LastModifiedUser string         `json:"LastModifiedUser,omitempty"`
	Description      string         `json:"Description,omitempty"`
	Value            string         `json:"Value"`
	AllowedPattern   string         `json:"AllowedPattern,omitempty"`
	Version          int64          `json:"Version"`
	Labels           []string       `json:"Labels"`
	Tier             string         `json:"Tier"`
	Policies         []any          `json:"Policies"`
	DataType         string         `json:"DataType"`
}

// filter is ParameterStringFilter (and the older ParametersFilter, which
// has no Option).
type filter struct {
	Key    string   `json:"Key"`
	Option string   `json:"Option"`
	Values []string `json:"Values"`
}

func filtersIn(fs []filter) []ssm.Filter {
	out := make([]ssm.Filter, 0, len(fs))
	for _, f := range fs {
		out = append(out, ssm.Filter{Key: f.Key, Option: f.Option, Values: f.Values})
	}
	return out
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}
