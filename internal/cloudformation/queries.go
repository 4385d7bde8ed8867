package cloudformation

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Find reads a stack by name (a live one) or by stack id (deleted ones
// too, unless live is set).
func (s *Service) Find(ctx context.Context, region, nameOrID string, live bool) (*Stack, int64, error) {
	if nameOrID == "" {
		return nil, 0, awserr.Errorf(CodeValidation, "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if !strings.HasPrefix(nameOrID, "arn:") {
		return s.findLive(ctx, region, nameOrID)
	}
	parts := strings.Split(nameOrID, "/")
	if len(parts) != 3 || !strings.HasPrefix(nameOrID, "arn:aws:cloudformation:"+region+":") {
		return nil, 0, stackNotFound(nameOrID)
	}
	var st Stack
	rev, err := s.Store.Get(ctx, stackKey(parts[2]), &st)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (st.ID != nameOrID || (live && st.Status == DeleteComplete))) {
		return nil, 0, stackNotFound(nameOrID)
	} else if err != nil {
		return nil, 0, err
	}
	return &st, rev, nil
}

func (s *Service) findLive(ctx context.Context, region, name string) (*Stack, int64, error) {
	var idx nameIndex
	if _, err := s.Store.Get(ctx, nameKey(region, name), &idx); errors.Is(err, store.ErrNotFound) {
		return nil, 0, stackNotFound(name)
	} else if err != nil {
		return nil, 0, err
	}
	var st Stack
	rev, err := s.Store.Get(ctx, stackKey(idx.UUID), &st)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, stackNotFound(name)
	} else if err != nil {
		return nil, 0, err
	}
	return &st, rev, nil
}

// Stacks lists a region's stacks, deleted ones included, newest first.
func (s *Service) Stacks(ctx context.Context, region, account string) ([]Stack, error) {
	all, err := store.List[Stack](ctx, s.Store, stacksPrefix)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(st Stack) bool { return st.Region != region || st.Account != account })
	slices.SortFunc(all, func(a, b Stack) int { return b.Created.Compare(a.Created) })
	return all, nil
}

// Events lists a stack's events, newest first.
func (s *Service) Events(ctx context.Context, st *Stack) ([]Event, error) {
	evs, err := store.List[Event](ctx, s.Store, eventsOf(st.UUID))
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return b.Time.Compare(a.Time) })
	return evs, nil
}

// Resources lists a stack's resources that exist or are being made, in
// logical id order.
func (s *Service) Resources(ctx context.Context, st *Stack) ([]Resource, error) {
	rs, err := store.List[Resource](ctx, s.Store, resourcesOf(st.UUID))
	if err != nil {
		return nil, err
	}
	rs = slices.DeleteFunc(rs, func(r Resource) bool { return r.Status == "" })
	slices.SortFunc(rs, func(a, b Resource) int { return strings.Compare(a.LogicalID, b.LogicalID) })
	return rs, nil
}

// Export is one stack output exported by name.
type Export struct {
	StackID string
	Name    string
	Value   string
}

// Exports lists a region's exports.
func (s *Service) Exports(ctx context.Context, region, account string) ([]Export, error) {
	stacks, err := s.Stacks(ctx, region, account)
	if err != nil {
		return nil, err
	}
	var out []Export
	for _, st := range stacks {
		if st.Status == DeleteComplete {
			continue
		}
		for _, o := range st.Outputs {
			if o.ExportName != "" {
				out = append(out, Export{StackID: st.ID, Name: o.ExportName, Value: o.Value})
			}
		}
	}
	slices.SortFunc(out, func(a, b Export) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Service) export(ctx context.Context, region, account, name string) (string, string, bool) {
	exps, err := s.Exports(ctx, region, account)
	if err != nil {
		return "", "", false
	}
	for _, e := range exps {
		if e.Name == name {
			return e.Value, e.StackID, true
		}
	}
	return "", "", false
}

// Summary is what ValidateTemplate and GetTemplateSummary report.
type Summary struct {
	Description   string
	Parameters    []ParameterSummary
	Capabilities  []string
	Reason        string
	ResourceTypes []string
}

// ParameterSummary is one declared parameter.
type ParameterSummary struct {
	Key, Type, Default, Description string
	HasDefault, NoEcho              bool
	AllowedValues                   []string
}

// ValidateTemplate checks a template's syntax and reports its parameters.
func (s *Service) ValidateTemplate(body, url string) (*Summary, error) {
	if body == "" && url == "" {
		return nil, awserr.Errorf(CodeValidation, "Either Template URL or Template Body must be specified.")
	}
	if body == "" {
		return nil, awserr.Errorf(CodeValidation, "TemplateURL is not supported by keks: give the template as TemplateBody")
	}
	t, err := ParseTemplate(body)
	if err != nil {
		return nil, err
	}
	if _, err := t.Order(); err != nil {
		return nil, err
	}
	sum := &Summary{Description: t.Description, ResourceTypes: t.ResourceTypes()}
	for _, name := range slices.Sorted(maps.Keys(t.Parameters)) {
		p := t.Parameters[name]
		ps := ParameterSummary{Key: name, Type: p.Type, Description: p.Description, NoEcho: p.NoEcho, AllowedValues: p.AllowedValues}
		if p.Default != nil {
			ps.Default, ps.HasDefault = *p.Default, true
		}
		sum.Parameters = append(sum.Parameters, ps)
	}
	if c := t.IAMCapability(); c != "" {
		sum.Capabilities = []string{c}
		var named []string
		for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
			if strings.HasPrefix(t.Resources[id].Type, "AWS::IAM::") {
				named = append(named, id+"("+t.Resources[id].Type+")")
			}
		}
		sum.Reason = "The following resource(s) require capabilities: [" + strings.Join(named, ", ") + "]"
	}
	return sum, nil
}

// StackOfPhysical finds the live stack that holds a physical resource.
func (s *Service) StackOfPhysical(ctx context.Context, region, account, physicalID string) (*Stack, error) {
	stacks, err := s.Stacks(ctx, region, account)
	if err != nil {
		return nil, err
	}
	for i := range stacks {
		if stacks[i].Status == DeleteComplete {
			continue
		}
		rs, err := s.Resources(ctx, &stacks[i])
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.PhysicalID == physicalID {
				return &stacks[i], nil
			}
		}
	}
	return nil, awserr.Errorf(CodeValidation, "Stack for %s does not exist", physicalID)
}
