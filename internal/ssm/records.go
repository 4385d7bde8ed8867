package ssm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Service is the Parameter Store model over the store.
type Service struct {
	Store *store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Scope is where a call acts: the caller's account, the signed region.
type Scope struct{ Account, Region string }

// Parameter types, data types and tiers.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"
	DataTypeText     = "text"
	DataTypeImage    = "aws:ec2:image"
	TierStandard     = "Standard"
	TierAdvanced     = "Advanced"
	TierIntelligent  = "Intelligent-Tiering"
)

// maxVersions is how many versions Parameter Store keeps of a parameter:
// a write past it drops the oldest.
const maxVersions = 100

// Parameter is one version of a parameter, as the reading operations
// answer it.
type Parameter struct {
	Name, Type, Value, DataType, ARN string
	Version                          int64
	Selector                         string // the selector the request named, if any
	LastModified                     time.Time
	LastModifiedUser                 string
	Description, AllowedPattern      string
	Tier                             string
}

// prefix is where an account's parameters of a region are, in name order.
func prefix(sc Scope) string { return "ssm/parameters/" + sc.Account + "/" + sc.Region + "/" }

func key(sc Scope, name string) string { return prefix(sc) + name }

// record is a parameter as stored: its versions, oldest first.
type record struct {
	Name     string            `json:"name"`
	Tags     map[string]string `json:"tags,omitempty"`
	Versions []version         `json:"versions"`
}

// version is one value of a parameter, with what it was written with.
type version struct {
	Version        int64     `json:"version"`
	Type           string    `json:"type"`
	Value          string    `json:"value"`
	DataType       string    `json:"dataType"`
	Tier           string    `json:"tier"`
	Description    string    `json:"description,omitempty"`
	AllowedPattern string    `json:"allowedPattern,omitempty"`
	User           string    `json:"user,omitempty"`
	Modified       time.Time `json:"modified"`
}

func (r *record) latest() version { return r.Versions[len(r.Versions)-1] }

// parameter is version v of r as the reading operations answer it.
func (r *record) parameter(sc Scope, v version) Parameter {
	return Parameter{Name: r.Name, Type: v.Type, Value: v.Value, DataType: v.DataType, ARN: ARN(sc.Region, sc.Account, r.Name),
		Version: v.Version, LastModified: v.Modified, LastModifiedUser: v.User, Description: v.Description,
		AllowedPattern: v.AllowedPattern, Tier: v.Tier}
}

// get reads an account's parameter and its revision; nil when absent.
func (s *Service) get(ctx context.Context, sc Scope, name string) (*record, int64, error) {
	var r record
	rev, err := s.Store.Get(ctx, key(sc, name), &r)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read SSM parameter %s: %w", name, err)
	}
	if len(r.Versions) == 0 {
		return nil, 0, fmt.Errorf("SSM parameter %s has no versions", name)
	}
	return &r, rev, nil
}

// list reads every parameter of the account in the region, in name order.
func (s *Service) list(ctx context.Context, sc Scope) ([]record, error) {
	all, err := store.List[record](ctx, s.Store, prefix(sc))
	if err != nil {
		return nil, fmt.Errorf("list SSM parameters: %w", err)
	}
	return all, nil
}

// Tags are an account's parameter's tags, for aws:ResourceTag; nil when
// it does not exist or has none.
func (s *Service) Tags(ctx context.Context, sc Scope, name string) map[string]string {
	r, _, err := s.get(ctx, sc, name)
	if err != nil || r == nil {
		return nil
	}
	return r.Tags
}
