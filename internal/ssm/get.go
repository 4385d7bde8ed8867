package ssm

import (
	"context"
)

// Get reads a parameter a GetParameter names: a public one, or the
// account's, at its latest version or the one its selector names.
func (s *Service) Get(ctx context.Context, sc Scope, name string) (*Parameter, error) {
	ref, err := parseReference(name)
	if err != nil {
		return nil, err
	}
	return s.resolve(ctx, sc, ref)
}

func (s *Service) resolve(ctx context.Context, sc Scope, ref reference) (*Parameter, error) {
	if IsPublic(ref.Name) {
		p, ok := publicParameters(sc.Region)[ref.Name]
		if !ok || (ref.Version != 0 && ref.Version != p.Version) {
			return nil, notFound(ref.Given)
		}
		p.Selector = ref.Selector
		return &p, nil
	}
	r, _, err := s.get(ctx, sc, ref.Name)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, notFound(ref.Given)
	}
	v := r.latest()
	if ref.Version != 0 {
		found := false
		for _, old := range r.Versions {
			if old.Version == ref.Version {
				v, found = old, true
			}
		}
		if !found {
			return nil, Errorf(CodeParameterVersionMissing, "Systems Manager could not find version %d of %s. Verify the version and try again.", ref.Version, ref.Name)
		}
	}
	p := r.parameter(sc, v)
	p.Selector = ref.Selector
	return &p, nil
}

// GetManyResult is what GetParameters answers: the parameters found, and
// the names (as given) that were not.
type GetManyResult struct {
	Parameters []Parameter
	Invalid    []string
}

// GetMany reads the parameters a GetParameters names (1 to 10).
func (s *Service) GetMany(ctx context.Context, sc Scope, names []string) (*GetManyResult, error) {
	if err := CheckCount("names", names, 1, 10); err != nil {
		return nil, err
	}
	out := &GetManyResult{Parameters: []Parameter{}, Invalid: []string{}}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		ref, err := parseReference(n)
		if err != nil {
			if isCode(err, CodeValidation) {
				return nil, err
			}
			out.Invalid = append(out.Invalid, n)
			continue
		}
		p, err := s.resolve(ctx, sc, ref)
		switch {
		case isCode(err, CodeParameterNotFound), isCode(err, CodeParameterVersionMissing):
			out.Invalid = append(out.Invalid, n)
		case err != nil:
			return nil, err
		default:
			out.Parameters = append(out.Parameters, *p)
		}
	}
	return out, nil
}
