package ssm

import (
	"strings"
)

// Filter is one of DescribeParameters' or GetParametersByPath's filters.
type Filter struct {
	Key    string
	Option string
	Values []string
}

// matcher says whether a parameter (with its tags) passes the filters.
type matcher func(p Parameter, tags map[string]string) bool

// compileFilters checks the filters and makes their matcher. byPath says
// they are GetParametersByPath's, which the path already scopes: there
// Name and Path are not allowed.
func compileFilters(filters []Filter, byPath bool) (matcher, error) {
	var tests []matcher
	for _, f := range filters {
		if f.Key == "" {
			return nil, Missing("parameterFilters.1.member.key")
		}
		tag, isTag := strings.CutPrefix(f.Key, "tag:")
		options := map[string][]string{
			"Name": {"Equals", "BeginsWith", "Contains"}, "Type": {"Equals", "BeginsWith"}, "KeyId": {"Equals", "BeginsWith"},
			"Path": {"Recursive", "OneLevel"}, "Tier": {"Equals"}, "DataType": {"Equals"},
		}
		allowed, known := options[f.Key]
		if isTag {
			allowed, known = []string{"Equals"}, true
		}
		if !known || (byPath && (f.Key == "Name" || f.Key == "Path")) {
			return nil, Errorf(CodeInvalidFilterKey, "The following filter key is not valid: %s.", f.Key)
		}
		opt := f.Option
		if opt == "" {
			opt = allowed[0]
		}
		if !contains(allowed, opt) {
			return nil, Errorf(CodeInvalidFilterOption, "The following filter option is not valid: %s. Valid options include: [%s].", opt, joinComma(allowed))
		}
		if len(f.Values) == 0 && !isTag {
			return nil, Errorf(CodeInvalidFilterValue, "The following filter values are missing : null for filter key %s.", f.Key)
		}
		if f.Key == "Path" {
			for _, v := range f.Values {
				if err := checkPath(v); err != nil {
					return nil, err
				}
			}
		}
		tests = append(tests, filterTest(f.Key, tag, isTag, opt, f.Values))
	}
	return func(p Parameter, tags map[string]string) bool {
		for _, t := range tests {
			if !t(p, tags) {
				return false
			}
		}
		return true
	}, nil
}

func filterTest(key, tag string, isTag bool, opt string, values []string) matcher {
	return func(p Parameter, tags map[string]string) bool {
		if isTag {
			v, ok := tags[tag]
			return ok && (len(values) == 0 || contains(values, v))
		}
		var field string
		switch key {
		case "Name":
			field = p.Name
		case "Type":
			field = p.Type
		case "KeyId":
			field = "" // keks keeps no SecureString, so no key ids
		case "Tier":
			field = p.Tier
		case "DataType":
			field = p.DataType
		case "Path":
			for _, v := range values {
				if underPath(p.Name, v, opt == "Recursive") {
					return true
				}
			}
			return false
		}
		for _, v := range values {
			switch opt {
			case "Equals":
				// Names match with or without their leading slash, as AWS's do.
				if field == v || (key == "Name" && strings.TrimPrefix(field, "/") == strings.TrimPrefix(v, "/")) {
					return true
				}
			case "BeginsWith":
				if strings.HasPrefix(field, v) {
					return true
				}
			case "Contains":
				if strings.Contains(field, v) {
					return true
				}
			}
		}
		return false
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
