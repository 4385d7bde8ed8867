package ssm

import (
	"context"
	"regexp"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Limits of values, by tier.
const (
	maxStandardValue = 4096
	maxAdvancedValue = 8192
	maxDescription   = 1024
	maxPattern       = 1024
	maxTags          = 50
)

// PutInput is what PutParameter takes. Nil members are absent (an
// overwrite keeps the version before's).
type PutInput struct {
	Name           string
	Value          *string
	Type           string
	Description    *string
	AllowedPattern *string
	DataType       string
	Tier           string
	Overwrite      bool
	Tags           map[string]string
	// User is who writes it (LastModifiedUser).
	User string
}

// PutResult is what PutParameter answers.
type PutResult struct {
	Version int64
	Tier    string
}

// Put creates a parameter, or with Overwrite writes its next version: one
// transaction on its record, which fails over to fresh reads when another
// writer got there first.
func (s *Service) Put(ctx context.Context, sc Scope, in PutInput) (*PutResult, error) {
	if err := checkPut(in); err != nil {
		return nil, err
	}
	var out PutResult
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		r, rev, err := s.get(ctx, sc, in.Name)
		if err != nil {
			return err
		}
		next, err := s.nextVersion(r, in)
		if err != nil {
			return err
		}
		if r == nil {
			r = &record{Name: in.Name, Tags: in.Tags, Versions: []version{next}}
			t.Create(key(sc, in.Name), r)
		} else {
			r.Versions = append(r.Versions, next)
			if len(r.Versions) > maxVersions {
				r.Versions = r.Versions[len(r.Versions)-maxVersions:]
			}
			t.Unchanged(key(sc, in.Name), rev)
			t.Put(key(sc, in.Name), r)
		}
		out = PutResult{Version: next.Version, Tier: next.Tier}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// nextVersion is the version a PutParameter writes over r (nil: none yet).
func (s *Service) nextVersion(r *record, in PutInput) (version, error) {
	var prev version
	if r != nil {
		if !in.Overwrite {
			return version{}, Errorf(CodeParameterAlreadyExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		prev = r.latest()
	}
	v := version{Version: prev.Version + 1, Type: in.Type, Value: *in.Value, DataType: in.DataType, Tier: in.Tier,
		Description: prev.Description, AllowedPattern: prev.AllowedPattern, User: in.User, Modified: s.now()}
	if v.Type == "" {
		v.Type = prev.Type
	}
	if v.Type == "" {
		return version{}, Errorf(CodeValidation, "A parameter type is required when you create a parameter.")
	}
	if v.DataType == "" {
		v.DataType = DataTypeText
		if prev.DataType != "" {
			v.DataType = prev.DataType
		}
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	if err := checkValue(v); err != nil {
		return version{}, err
	}
	tier, err := tierOf(in.Tier, prev.Tier, v.Value)
	if err != nil {
		return version{}, err
	}
	v.Tier = tier
	return v, nil
}

// tierOf is the tier a version is written in: the one asked for, an
// advanced parameter's own (it never goes back to standard), or with
// Intelligent-Tiering the smallest that holds the value.
func tierOf(asked, prev, value string) (string, error) {
	switch {
	case asked == TierStandard && prev == TierAdvanced:
		return "", Errorf(CodeValidation, "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	case asked == "" && prev == TierAdvanced, asked == TierAdvanced:
		return TierAdvanced, nil
	case asked == TierIntelligent && len(value) > maxStandardValue:
		return TierAdvanced, nil
	case len(value) > maxStandardValue:
		return "", Errorf(CodeValidation, "Standard tier parameters support a maximum parameter value of 4096 characters. "+
			"To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. "+
			"For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	return TierStandard, nil
}

func checkPut(in PutInput) error {
	if err := checkName(in.Name); err != nil {
		return err
	}
	if in.Value == nil {
		return Missing("value")
	}
	if err := CheckLength("value", *in.Value, 1, maxAdvancedValue); err != nil {
		return err
	}
	if err := oneOf("type", in.Type, TypeSecureString, TypeStringList, TypeString); err != nil {
		return err
	}
	if in.Type == TypeSecureString {
		return Errorf(CodeUnsupportedType, "keks does not serve SecureString parameters yet: use String or StringList.")
	}
	if err := oneOf("tier", in.Tier, TierStandard, TierAdvanced, TierIntelligent); err != nil {
		return err
	}
	if in.DataType != "" && in.DataType != DataTypeText && in.DataType != DataTypeImage {
		return Errorf(CodeValidation, "The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.Description != nil {
		if err := CheckLength("description", *in.Description, 0, maxDescription); err != nil {
			return err
		}
	}
	if in.AllowedPattern != nil {
		if err := CheckLength("allowedPattern", *in.AllowedPattern, 0, maxPattern); err != nil {
			return err
		}
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return Errorf(CodeValidation, "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. "+
			"To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if len(in.Tags) > maxTags {
		return Errorf(CodeValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	return nil
}

// checkValue holds a version's value to its type, data type and allowed pattern.
func checkValue(v version) error {
	if v.DataType == DataTypeImage && (v.Type != TypeString || !strings.HasPrefix(v.Value, "ami-")) {
		return Errorf(CodeValidation, "Parameter value, %s, is not in the right format for the aws:ec2:image data type.", awserr.Echo(v.Value))
	}
	if v.AllowedPattern == "" {
		return nil
	}
	re, err := regexp.Compile("^(?:" + v.AllowedPattern + ")$")
	if err != nil {
		return Errorf(CodeInvalidAllowedPattern, "The request does not meet the regular expression requirement.")
	}
	values := []string{v.Value}
	if v.Type == TypeStringList {
		values = strings.Split(v.Value, ",")
	}
	for _, val := range values {
		if !re.MatchString(val) {
			return Errorf(CodePatternMismatch, "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	return nil
}
