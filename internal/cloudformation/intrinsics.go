package cloudformation

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// noValue is what Ref AWS::NoValue resolves to: the property holding it
// is left out.
type noValueType struct{}

var noValue = noValueType{}

// Scope is what intrinsic functions resolve against.
type Scope struct {
	Region, AccountID, StackName, StackID string
	// Parameters are the stack's values: strings, or []any of strings for
	// list types.
	Parameters map[string]any
	Conditions map[string]bool
	Mappings   map[string]any
	// Resource returns a resource's physical id and attributes; ok false
	// when it does not exist (yet).
	Resource func(logicalID string) (physicalID string, attrs map[string]any, ok bool)
	// Import returns an export's value.
	Import func(name string) (string, bool)
	// Zones lists a region's availability zones (Fn::GetAZs).
	Zones func(region string) []string
}

func templateError(format string, a ...any) error {
	return awserr.Errorf(CodeValidation, "Template error: "+format, a...)
}

// Resolve evaluates every intrinsic function in v.
func (s *Scope) Resolve(v any) (any, error) {
	out, err := s.resolve(v, 0)
	if err != nil {
		return nil, err
	}
	if out == noValue {
		return nil, nil
	}
	return out, nil
}

// ResolveProperties resolves a resource's properties.
func (s *Scope) ResolveProperties(props map[string]any) (map[string]any, error) {
	v, err := s.Resolve(props)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return normalize(m), nil
}

// normalize makes a value what it is once stored and read back as JSON,
// so that comparisons of properties across an update are fair.
func normalize(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}

func (s *Scope) resolve(v any, depth int) (any, error) {
	if depth > 64 {
		return nil, templateError("intrinsic functions nested too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return s.call(k, arg, depth)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := s.resolve(e, depth+1)
			if err != nil {
				return nil, err
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			r, err := s.resolve(e, depth+1)
			if err != nil {
				return nil, err
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func (s *Scope) call(fn string, arg any, depth int) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, templateError("Unresolved resource dependencies in Ref")
		}
		return s.ref(name)
	case "Fn::GetAtt":
		return s.getAtt(arg, depth)
	case "Fn::Sub":
		return s.sub(arg, depth)
	case "Fn::If":
		l, ok := arg.([]any)
		if !ok || len(l) != 3 {
			return nil, templateError("Fn::If requires a list argument with three elements")
		}
		name, _ := l[0].(string)
		c, ok := s.Conditions[name]
		if !ok {
			return nil, templateError("Fn::If references undefined condition %s", name)
		}
		if c {
			return s.resolve(l[1], depth+1)
		}
		return s.resolve(l[2], depth+1)
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return s.condition(map[string]any{fn: arg}, depth)
	}
	// The rest take resolved arguments.
	a, err := s.resolve(arg, depth+1)
	if err != nil {
		return nil, err
	}
	switch fn {
	case "Fn::Join":
		l, ok := a.([]any)
		if !ok || len(l) != 2 {
			return nil, templateError("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
		}
		delim, _ := l[0].(string)
		items, ok := l[1].([]any)
		if !ok {
			return nil, templateError("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = scalarString(it)
		}
		return strings.Join(parts, delim), nil
	case "Fn::Select":
		l, ok := a.([]any)
		if !ok || len(l) != 2 {
			return nil, templateError("Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		i, err := strconv.Atoi(scalarString(l[0]))
		items, ok := l[1].([]any)
		if err != nil || !ok {
			return nil, templateError("Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		if i < 0 || i >= len(items) {
			return nil, templateError("Fn::Select cannot select nonexistent value at index %d", i)
		}
		return items[i], nil
	case "Fn::Split":
		l, ok := a.([]any)
		if !ok || len(l) != 2 {
			return nil, templateError("Fn::Split requires a list argument with two elements: a delimiter and a string")
		}
		var out []any
		for _, p := range strings.Split(scalarString(l[1]), scalarString(l[0])) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::GetAZs":
		region := scalarString(a)
		if region == "" {
			region = s.Region
		}
		var out []any
		if s.Zones != nil {
			for _, z := range s.Zones(region) {
				out = append(out, z)
			}
		}
		return out, nil
	case "Fn::Base64":
		return base64.StdEncoding.EncodeToString([]byte(scalarString(a))), nil
	case "Fn::ImportValue":
		name := scalarString(a)
		if s.Import == nil {
			return nil, awserr.Errorf(CodeValidation, "No export named %s found", name)
		}
		v, ok := s.Import(name)
		if !ok {
			return nil, awserr.Errorf(CodeValidation, "No export named %s found", name)
		}
		return v, nil
	case "Fn::FindInMap":
		l, ok := a.([]any)
		if !ok || len(l) < 3 {
			return nil, templateError("Fn::FindInMap requires a list argument with three elements")
		}
		m, _ := s.Mappings[scalarString(l[0])].(map[string]any)
		second, _ := m[scalarString(l[1])].(map[string]any)
		v, ok := second[scalarString(l[2])]
		if !ok {
			return nil, templateError("Unable to get mapping for %s::%s::%s", scalarString(l[0]), scalarString(l[1]), scalarString(l[2]))
		}
		return v, nil
	case "Fn::Length":
		l, ok := a.([]any)
		if !ok {
			return nil, templateError("Fn::Length requires a list")
		}
		return float64(len(l)), nil
	case "Fn::ToJsonString":
		b, _ := json.Marshal(a)
		return string(b), nil
	case "Fn::Cidr":
		return cidrs(a)
	}
	return nil, templateError("Unrecognized function %s", fn)
}

func (s *Scope) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return s.Region, nil
	case "AWS::AccountId":
		return s.AccountID, nil
	case "AWS::StackName":
		return s.StackName, nil
	case "AWS::StackId":
		return s.StackID, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if v, ok := s.Parameters[name]; ok {
		return v, nil
	}
	if s.Resource != nil {
		if id, _, ok := s.Resource(name); ok {
			return id, nil
		}
	}
	return nil, templateError("Unresolved resource dependencies [%s] in the Resources block of the template", name)
}

func (s *Scope) getAtt(arg any, depth int) (any, error) {
	var res, attr string
	switch x := arg.(type) {
	case string:
		res, attr, _ = strings.Cut(x, ".")
	case []any:
		if len(x) == 2 {
			res, _ = x[0].(string)
			a, err := s.resolve(x[1], depth+1)
			if err != nil {
				return nil, err
			}
			attr = scalarString(a)
		}
	}
	if res == "" || attr == "" {
		return nil, templateError("every Fn::GetAtt object requires two non-empty parameters")
	}
	if s.Resource == nil {
		return nil, templateError("instance of Fn::GetAtt references undefined resource %s", res)
	}
	_, attrs, ok := s.Resource(res)
	if !ok {
		return nil, templateError("instance of Fn::GetAtt references undefined resource %s", res)
	}
	v, ok := attrs[attr]
	if !ok {
		return nil, templateError("resource %s does not support attribute type %s in Fn::GetAtt", res, attr)
	}
	return v, nil
}

func (s *Scope) sub(arg any, depth int) (any, error) {
	str, vars := subParts(arg)
	if str == "" && vars == nil {
		if _, ok := arg.(string); !ok {
			return nil, templateError("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
	}
	local := map[string]any{}
	for k, v := range vars {
		r, err := s.resolve(v, depth+1)
		if err != nil {
			return nil, err
		}
		local[k] = r
	}
	var b strings.Builder
	for {
		i := strings.Index(str, "${")
		if i < 0 {
			b.WriteString(str)
			break
		}
		j := strings.Index(str[i:], "}")
		if j < 0 {
			b.WriteString(str)
			break
		}
		b.WriteString(str[:i])
		name := strings.TrimSpace(str[i+2 : i+j])
		str = str[i+j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			b.WriteString("${" + lit + "}")
			continue
		}
		var v any
		var err error
		if lv, ok := local[name]; ok {
			v = lv
		} else if res, attr, isAtt := strings.Cut(name, "."); isAtt {
			v, err = s.getAtt([]any{res, attr}, depth)
		} else {
			v, err = s.ref(name)
		}
		if err != nil {
			return nil, err
		}
		b.WriteString(scalarString(v))
	}
	return b.String(), nil
}

// condition evaluates a condition expression.
func (s *Scope) condition(v any, depth int) (bool, error) {
	if depth > 64 {
		return false, templateError("conditions nested too deeply")
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false, templateError("Conditions can only be boolean operations on parameters and other conditions")
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			c, ok := s.Conditions[name]
			if !ok {
				return false, templateError("unresolved condition dependency %s", name)
			}
			return c, nil
		case "Fn::Equals":
			l, ok := arg.([]any)
			if !ok || len(l) != 2 {
				return false, templateError("Fn::Equals requires a list argument with two elements")
			}
			a, err := s.resolve(l[0], depth+1)
			if err != nil {
				return false, err
			}
			b, err := s.resolve(l[1], depth+1)
			if err != nil {
				return false, err
			}
			return scalarString(a) == scalarString(b), nil
		case "Fn::And", "Fn::Or":
			l, ok := arg.([]any)
			if !ok || len(l) < 2 || len(l) > 10 {
				return false, templateError("%s requires a list of 2 to 10 conditions", fn)
			}
			all := fn == "Fn::And"
			for _, e := range l {
				c, err := s.condition(e, depth+1)
				if err != nil {
					return false, err
				}
				if all && !c {
					return false, nil
				}
				if !all && c {
					return true, nil
				}
			}
			return all, nil
		case "Fn::Not":
			l, ok := arg.([]any)
			if !ok || len(l) != 1 {
				return false, templateError("Fn::Not requires a list argument with one element")
			}
			c, err := s.condition(l[0], depth+1)
			return !c, err
		}
	}
	return false, templateError("Conditions can only be boolean operations on parameters and other conditions")
}

// EvaluateConditions evaluates a template's Conditions in the scope's
// parameters, each once, conditions referring to others in any order.
func (s *Scope) EvaluateConditions(t *Template) error {
	s.Conditions = map[string]bool{}
	pending := maps.Clone(t.Conditions)
	for len(pending) > 0 {
		progressed := false
		for _, name := range slices.Sorted(maps.Keys(pending)) {
			if !conditionsReady(pending[name], s.Conditions) {
				continue
			}
			c, err := s.condition(pending[name], 0)
			if err != nil {
				return err
			}
			s.Conditions[name] = c
			delete(pending, name)
			progressed = true
		}
		if !progressed {
			return formatError("Circular dependency between conditions: [%s]", strings.Join(slices.Sorted(maps.Keys(pending)), ", "))
		}
	}
	return nil
}

func conditionsReady(v any, known map[string]bool) bool {
	switch x := v.(type) {
	case map[string]any:
		if name, ok := x["Condition"].(string); ok && len(x) == 1 {
			_, ok := known[name]
			return ok
		}
		for _, e := range x {
			if !conditionsReady(e, known) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !conditionsReady(e, known) {
				return false
			}
		}
	}
	return true
}

// cidrs is Fn::Cidr: [ipBlock, count, cidrBits] → count subnets of
// /(32-cidrBits) from the start of ipBlock (IPv4).
func cidrs(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) != 3 {
		return nil, templateError("Fn::Cidr requires a list argument with three elements")
	}
	ip, bits, found := strings.Cut(scalarString(l[0]), "/")
	count, err1 := strconv.Atoi(scalarString(l[1]))
	sub, err2 := strconv.Atoi(scalarString(l[2]))
	prefix, err3 := strconv.Atoi(bits)
	var o [4]int
	n, _ := fmt.Sscanf(ip, "%d.%d.%d.%d", &o[0], &o[1], &o[2], &o[3])
	if !found || err1 != nil || err2 != nil || err3 != nil || n != 4 || sub < 1 || sub > 32-prefix || count < 1 || count > 256 {
		return nil, templateError("Fn::Cidr: invalid arguments")
	}
	base := uint32(o[0])<<24 | uint32(o[1])<<16 | uint32(o[2])<<8 | uint32(o[3])
	size := uint32(1) << sub
	var out []any
	for i := 0; i < count; i++ {
		x := base + uint32(i)*size
		out = append(out, fmt.Sprintf("%d.%d.%d.%d/%d", x>>24, x>>16&255, x>>8&255, x&255, 32-sub))
	}
	return out, nil
}
