package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Launch template error codes, as EC2 spells them (the NotFoundException
// suffix is EC2's own: Karpenter matches it exactly).
const (
	CodeLaunchTemplateNameNotFound   = "InvalidLaunchTemplateName.NotFoundException"
	CodeLaunchTemplateNameDuplicate  = "InvalidLaunchTemplateName.AlreadyExistsException"
	CodeLaunchTemplateNameMalformed  = "InvalidLaunchTemplateName.MalformedException"
	CodeLaunchTemplateIDNotFound     = "InvalidLaunchTemplateId.NotFound"
	CodeLaunchTemplateIDMalformed    = "InvalidLaunchTemplateId.Malformed"
	CodeLaunchTemplateVersionMissing = "InvalidLaunchTemplateId.VersionNotFound"
	CodeLaunchTemplateVersionBad     = "InvalidLaunchTemplateId.VersionMalformed"
)

func init() {
	for _, c := range []string{CodeLaunchTemplateNameNotFound, CodeLaunchTemplateNameDuplicate, CodeLaunchTemplateNameMalformed,
		CodeLaunchTemplateIDNotFound, CodeLaunchTemplateIDMalformed, CodeLaunchTemplateVersionMissing, CodeLaunchTemplateVersionBad} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// LaunchTemplate is a region's launch template with all its versions.
// keks keeps the versions in the template's record, so that a new version
// and the template's latest number are one write; it holds at most
// MaxLaunchTemplateVersions of them.
type LaunchTemplate struct {
	ID             string                  `json:"id"`
	Region         string                  `json:"region"`
	Name           string                  `json:"name"`
	OwnerID        string                  `json:"ownerId"`
	CreatedBy      string                  `json:"createdBy"`
	CreateTime     time.Time               `json:"createTime"`
	DefaultVersion int64                   `json:"defaultVersion"`
	LatestVersion  int64                   `json:"latestVersion"`
	Tags           map[string]string       `json:"tags,omitempty"`
	Versions       []LaunchTemplateVersion `json:"versions"`
}

// LaunchTemplateVersion is one version of a template. Data holds the
// template's launch parameters as RunInstances names them on the wire
// ("ImageId", "SecurityGroupId.1", "TagSpecification.1.Tag.1.Key"...): a
// launch from the template is then the request's parameters with the
// template's added where the request gives none.
type LaunchTemplateVersion struct {
	Number      int64             `json:"number"`
	Description string            `json:"description,omitempty"`
	CreatedBy   string            `json:"createdBy"`
	CreateTime  time.Time         `json:"createTime"`
	Data        map[string]string `json:"data,omitempty"`
}

// MaxLaunchTemplateVersions bounds a template's versions in keks (EC2
// allows 10,000): all of them live in one store record.
const MaxLaunchTemplateVersions = 100

const launchTemplatePrefix = "ec2/launchtemplates/"

func launchTemplateKey(region, name string) string {
	return launchTemplatePrefix + region + "/" + url.PathEscape(name)
}

var launchTemplateName = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)

// ValidateLaunchTemplateName applies EC2's rule for template names.
func ValidateLaunchTemplateName(name string) error {
	if !launchTemplateName.MatchString(name) {
		return awserr.Errorf(CodeLaunchTemplateNameMalformed, "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'")
	}
	return nil
}

func launchTemplateNameNotFound(name string) error {
	return awserr.Errorf(CodeLaunchTemplateNameNotFound, "The specified launch template, with template name %s, does not exist.", name)
}

func launchTemplateIDNotFound(id string) error {
	return awserr.Errorf(CodeLaunchTemplateIDNotFound, "The specified launch template, with template ID %s, does not exist.", id)
}

// Version finds a version by EC2's names: a number, $Latest, $Default, or
// "" for the default.
func (lt *LaunchTemplate) Version(v string) (*LaunchTemplateVersion, error) {
	n := lt.DefaultVersion
	switch v {
	case "", "$Default":
	case "$Latest":
		n = lt.LatestVersion
	default:
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil || n < 1 {
			return nil, awserr.Errorf(CodeLaunchTemplateVersionBad, "The specified version %s for launch template %s is not valid.", v, lt.ID)
		}
	}
	for i := range lt.Versions {
		if lt.Versions[i].Number == n {
			return &lt.Versions[i], nil
		}
	}
	return nil, awserr.Errorf(CodeLaunchTemplateVersionMissing, "Could not find launch template version %d for launch template %s.", n, lt.ID)
}

// CreateLaunchTemplate makes a template with its first version.
func (s *Service) CreateLaunchTemplate(ctx context.Context, lt LaunchTemplate, first LaunchTemplateVersion) (*LaunchTemplate, error) {
	if err := ValidateLaunchTemplateName(lt.Name); err != nil {
		return nil, err
	}
	if err := ValidateTags(lt.Tags); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	lt.ID, lt.CreateTime, lt.DefaultVersion, lt.LatestVersion = newResourceID("lt"), now, 1, 1
	first.Number, first.CreateTime, first.CreatedBy = 1, now, lt.CreatedBy
	lt.Versions = []LaunchTemplateVersion{first}
	if len(lt.Tags) == 0 {
		lt.Tags = nil
	}
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var existing LaunchTemplate
		if _, err := s.Store.Get(ctx, launchTemplateKey(lt.Region, lt.Name), &existing); err == nil {
			return awserr.Errorf(CodeLaunchTemplateNameDuplicate, "Launch template name already in use.")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Create(launchTemplateKey(lt.Region, lt.Name), &lt)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create launch template %q: %w", lt.Name, err)
	}
	return &lt, nil
}

// LaunchTemplates lists a region's templates.
func (s *Service) LaunchTemplates(ctx context.Context, region string) ([]LaunchTemplate, error) {
	return store.List[LaunchTemplate](ctx, s.Store, launchTemplatePrefix+region+"/")
}

// FindLaunchTemplate reads a region's template by id (lt-...) or by name,
// with the store key it lives at.
func (s *Service) FindLaunchTemplate(ctx context.Context, region, id, name string) (*LaunchTemplate, error) {
	switch {
	case id != "":
		if !strings.HasPrefix(id, "lt-") {
			return nil, awserr.Errorf(CodeLaunchTemplateIDMalformed, "The specified ID for the launch template ID is not valid.")
		}
		all, err := s.LaunchTemplates(ctx, region)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if all[i].ID == id {
				return &all[i], nil
			}
		}
		return nil, launchTemplateIDNotFound(id)
	case name != "":
		if ValidateLaunchTemplateName(name) != nil {
			return nil, launchTemplateNameNotFound(name)
		}
		var lt LaunchTemplate
		if _, err := s.Store.Get(ctx, launchTemplateKey(region, name), &lt); errors.Is(err, store.ErrNotFound) {
			return nil, launchTemplateNameNotFound(name)
		} else if err != nil {
			return nil, err
		}
		return &lt, nil
	}
	return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter launchTemplateName or launchTemplateId")
}

// mutateLaunchTemplate changes a template found by id or name in one write.
func (s *Service) mutateLaunchTemplate(ctx context.Context, region, id, name string, fn func(*LaunchTemplate) error) (*LaunchTemplate, error) {
	found, err := s.FindLaunchTemplate(ctx, region, id, name)
	if err != nil {
		return nil, err
	}
	return store.Mutate(ctx, s.Store, launchTemplateKey(region, found.Name), fn)
}

// CreateLaunchTemplateVersion adds a version: data as given, or, with
// source set ("$Latest", a number...), the source version's data with data
// laid over it field by field, as EC2's SourceVersion does.
func (s *Service) CreateLaunchTemplateVersion(ctx context.Context, region, id, name, source, createdBy string, v LaunchTemplateVersion) (*LaunchTemplate, *LaunchTemplateVersion, error) {
	var made LaunchTemplateVersion
	lt, err := s.mutateLaunchTemplate(ctx, region, id, name, func(lt *LaunchTemplate) error {
		if len(lt.Versions) >= MaxLaunchTemplateVersions {
			return awserr.Errorf("LaunchTemplateVersionLimitExceeded", "keks keeps at most %d versions of a launch template; delete the template or make a new one.", MaxLaunchTemplateVersions)
		}
		made = v
		if source != "" {
			from, err := lt.Version(source)
			if err != nil {
				return err
			}
			made.Data = OverlayLaunchData(from.Data, v.Data)
		}
		lt.LatestVersion++
		made.Number, made.CreateTime, made.CreatedBy = lt.LatestVersion, time.Now().UTC().Truncate(time.Millisecond), createdBy
		lt.Versions = append(lt.Versions, made)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return lt, &made, nil
}

// SetDefaultLaunchTemplateVersion makes an existing version the default.
func (s *Service) SetDefaultLaunchTemplateVersion(ctx context.Context, region, id, name, version string) (*LaunchTemplate, error) {
	return s.mutateLaunchTemplate(ctx, region, id, name, func(lt *LaunchTemplate) error {
		v, err := lt.Version(version)
		if err != nil {
			return err
		}
		lt.DefaultVersion = v.Number
		return nil
	})
}

// DeleteLaunchTemplate removes a template with all its versions.
func (s *Service) DeleteLaunchTemplate(ctx context.Context, region, id, name string) (*LaunchTemplate, error) {
	lt, err := s.FindLaunchTemplate(ctx, region, id, name)
	if err != nil {
		return nil, err
	}
	if err := s.Store.Delete(ctx, launchTemplateKey(region, lt.Name)); errors.Is(err, store.ErrNotFound) {
		return nil, launchTemplateNameNotFound(lt.Name)
	} else if err != nil {
		return nil, fmt.Errorf("delete launch template %s: %w", lt.ID, err)
	}
	return lt, nil
}

// tagLaunchTemplate retags a template named by its id (CreateTags, DeleteTags).
func (s *Service) tagLaunchTemplate(ctx context.Context, t *store.Txn, id string, retag func(map[string]string) (map[string]string, error)) error {
	all, err := store.List[LaunchTemplate](ctx, s.Store, launchTemplatePrefix)
	if err != nil {
		return err
	}
	for _, lt := range all {
		if lt.ID == id {
			return tagRecord(ctx, s, t, launchTemplateKey(lt.Region, lt.Name), func(v *LaunchTemplate) *map[string]string { return &v.Tags },
				launchTemplateIDNotFound(id), retag)
		}
	}
	return launchTemplateIDNotFound(id)
}

// launchDataGroup is the top-level parameter a wire key belongs to:
// "SecurityGroupId" of "SecurityGroupId.2", "IamInstanceProfile" of
// "IamInstanceProfile.Name".
func launchDataGroup(key string) string {
	group, _, _ := strings.Cut(key, ".")
	return group
}

// OverlayLaunchData is base with over laid on it: each top-level parameter
// over gives replaces the whole of that parameter in base (a list of
// security groups is replaced, not merged).
func OverlayLaunchData(base, over map[string]string) map[string]string {
	given := map[string]bool{}
	for k := range over {
		given[launchDataGroup(k)] = true
	}
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		if !given[launchDataGroup(k)] {
			out[k] = v
		}
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}
