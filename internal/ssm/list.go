package ssm

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// Page is the paging of a listing: at most Limit items (nil: the
// operation's default) after the one Token names.
type Page struct {
	Limit *int32
	Token *string
}

// pageTokens name the item a page ends at (a name, or a history
// position), opaque to clients as AWS's are.
func pageToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("keks:" + after))
}

func readToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	after, ok := strings.CutPrefix(string(b), "keks:")
	if err != nil || !ok || *tok == "" {
		return "", Errorf(CodeInvalidNextToken, "The specified token is not valid.")
	}
	return after, nil
}

// pageOf cuts one page of names-sorted items out of all: those after
// the token's, at most limit; next is the token of what follows.
func pageOf[T any](all []T, nameOf func(T) string, page Page, def int32) (items []T, next string, err error) {
	after, err := readToken(page.Token)
	if err != nil {
		return nil, "", err
	}
	limit := def
	if page.Limit != nil {
		limit = *page.Limit
	}
	start := 0
	if after != "" {
		start = len(all)
		for i, it := range all {
			if nameOf(it) > after {
				start = i
				break
			}
		}
	}
	end := min(len(all), start+int(limit))
	items = append([]T{}, all[start:end]...)
	if end < len(all) {
		next = pageToken(nameOf(all[end-1]))
	}
	return items, next, nil
}

// ByPathInput is what GetParametersByPath takes.
type ByPathInput struct {
	Path      string
	Recursive bool
	Filters   []Filter
	Page      Page
}

// ByPath lists the parameters under a hierarchy path, public ones for a
// path under /aws/, in name order.
func (s *Service) ByPath(ctx context.Context, sc Scope, in ByPathInput) ([]Parameter, string, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, "", err
	}
	if err := CheckRange("maxResults", in.Page.Limit, 1, 10); err != nil {
		return nil, "", err
	}
	match, err := compileFilters(in.Filters, true)
	if err != nil {
		return nil, "", err
	}
	var all []Parameter
	if IsPublic(strings.TrimSuffix(in.Path, "/") + "/") {
		all = publicUnder(sc.Region, in.Path, in.Recursive)
	} else {
		records, err := s.list(ctx, sc)
		if err != nil {
			return nil, "", err
		}
		for i := range records {
			if underPath(records[i].Name, in.Path, in.Recursive) {
				all = append(all, records[i].parameter(sc, records[i].latest()))
			}
		}
	}
	all = slices.DeleteFunc(all, func(p Parameter) bool { return !match(p, nil) })
	return pageOf(all, func(p Parameter) string { return p.Name }, in.Page, 10)
}

// DescribeInput is what DescribeParameters takes: the older Filters or
// ParameterFilters, not both.
type DescribeInput struct {
	Filters          []Filter
	ParameterFilters []Filter
	Page             Page
}

// Describe lists the account's parameters (never the public ones) that
// the filters match, in name order, as metadata: their values stay out.
func (s *Service) Describe(ctx context.Context, sc Scope, in DescribeInput) ([]Parameter, string, error) {
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, "", Errorf(CodeValidation, "You can use either Filters or ParameterFilters in a single request.")
	}
	if err := CheckRange("maxResults", in.Page.Limit, 1, 50); err != nil {
		return nil, "", err
	}
	filters := in.ParameterFilters
	for _, f := range in.Filters {
		// The older filters match names and key ids from their start.
		opt := "Equals"
		if f.Key == "Name" || f.Key == "KeyId" {
			opt = "BeginsWith"
		}
		if f.Key != "Name" && f.Key != "Type" && f.Key != "KeyId" {
			return nil, "", validationf(f.Key, "filters.1.member.key", "Member must satisfy enum value set: [Name, Type, KeyId]")
		}
		filters = append(filters, Filter{Key: f.Key, Option: opt, Values: f.Values})
	}
	match, err := compileFilters(filters, false)
	if err != nil {
		return nil, "", err
	}
	records, err := s.list(ctx, sc)
	if err != nil {
		return nil, "", err
	}
	var all []Parameter
	for i := range records {
		p := records[i].parameter(sc, records[i].latest())
		if match(p, records[i].Tags) {
			p.Value = ""
			all = append(all, p)
		}
	}
	return pageOf(all, func(p Parameter) string { return p.Name }, in.Page, 10)
}

// History lists a parameter's versions, oldest first.
func (s *Service) History(ctx context.Context, sc Scope, name string, page Page) ([]Parameter, string, error) {
	ref, err := parseReference(name)
	if err != nil {
		return nil, "", err
	}
	if err := CheckRange("maxResults", page.Limit, 1, 50); err != nil {
		return nil, "", err
	}
	var all []Parameter
	if IsPublic(ref.Name) {
		p, ok := publicParameters(sc.Region)[ref.Name]
		if !ok {
			return nil, "", notFound(name)
		}
		all = []Parameter{p}
	} else {
		r, _, err := s.get(ctx, sc, ref.Name)
		if err != nil {
			return nil, "", err
		}
		if r == nil {
			return nil, "", notFound(name)
		}
		for _, v := range r.Versions {
			all = append(all, r.parameter(sc, v))
		}
	}
	// Versions page by their number, zero-padded so that they sort as names do.
	key := func(p Parameter) string { return strconv.FormatInt(1e12+p.Version, 10) }
	return pageOf(all, key, page, 50)
}
