package cloudformation

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/cloudformation/resource"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store"
)

// Service is CloudFormation's model: the operations of its API.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// Types are the resource types stacks may hold.
	Types map[string]resource.Provider
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func nameKey(region, name string) string { return Prefix + "names/" + region + "/" + name }

// nameIndex points a live stack's name at its record.
type nameIndex struct {
	UUID string `json:"uuid"`
}

var stackNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func checkStackName(name string) error {
	if name == "" {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if !stackNamePattern.MatchString(name) {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	return nil
}

func stackNotFound(nameOrID string) error {
	return awserr.Errorf(CodeValidation, "Stack with id %s does not exist", nameOrID)
}

// ParameterInput is a parameter as a request gives it.
type ParameterInput struct {
	Key         string
	Value       string
	UsePrevious bool
}

// CreateInput is CreateStack's request.
type CreateInput struct {
	Region       string
	Caller       Caller
	Name         string
	TemplateBody string
	TemplateURL  string
	Parameters   []ParameterInput
	Capabilities []string
	Tags         []Tag
	OnFailure    string
	// DisableRollback is nil when the request left it out.
	DisableRollback *bool
	RoleARN         string
	Token           string
	Timeout         int
	Protect         bool
}

// prepared is a template checked against the stack that will run it.
type prepared struct {
	t       *Template
	params  []ParameterValue
	imports []string
}

// prepare applies CloudFormation's checks to a template and its parameters.
func (s *Service) prepare(ctx context.Context, region, account, name, id, body, url string, given []ParameterInput, previous []ParameterValue, caps []string) (*prepared, error) {
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
	var unknown []string
	for _, typ := range t.ResourceTypes() {
		if _, ok := s.Types[typ]; !ok {
			unknown = append(unknown, typ)
		}
	}
	if len(unknown) > 0 {
		return nil, formatError("Unrecognized resource types: [%s]", strings.Join(unknown, ", "))
	}
	if _, err := t.Order(); err != nil {
		return nil, err
	}
	params, err := resolveParameters(t, given, previous)
	if err != nil {
		return nil, err
	}
	scope := s.staticScope(ctx, region, account, name, id, t, params)
	if err := scope.EvaluateConditions(t); err != nil {
		return nil, err
	}
	if need := t.IAMCapability(); need != "" && !slices.Contains(caps, need) && !(need == "CAPABILITY_IAM" && slices.Contains(caps, "CAPABILITY_NAMED_IAM")) {
		return nil, awserr.Errorf(CodeInsufficientCaps, "Requires capabilities : [%s]", need)
	}
	for _, c := range caps {
		if c != "CAPABILITY_IAM" && c != "CAPABILITY_NAMED_IAM" && c != "CAPABILITY_AUTO_EXPAND" {
			return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '[%s]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]", c)
		}
	}
	imports, err := importsOf(t, scope)
	if err != nil {
		return nil, err
	}
	return &prepared{t: t, params: params, imports: imports}, nil
}

// importsOf lists the exports a template imports, each of which must exist.
func importsOf(t *Template, scope *Scope) ([]string, error) {
	var names []string
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if arg, ok := x["Fn::ImportValue"]; ok && len(x) == 1 {
				n, err := scope.Resolve(arg)
				if err != nil {
					return nil // refers to a resource: checked when it resolves
				}
				name := scalarString(n)
				if _, ok := scope.Import(name); !ok {
					return awserr.Errorf(CodeValidation, "No export named %s found", name)
				}
				names = append(names, name)
				return nil
			}
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range t.Resources {
		if err := walk(r.Properties); err != nil {
			return nil, err
		}
	}
	for _, o := range t.Outputs {
		if err := walk(o.Value); err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// staticScope resolves what needs no resource: parameters, pseudo
// parameters, conditions, mappings, imports.
func (s *Service) staticScope(ctx context.Context, region, account, name, id string, t *Template, params []ParameterValue) *Scope {
	sc := &Scope{Region: region, AccountID: account, StackName: name, StackID: id, Mappings: t.Mappings, Parameters: map[string]any{},
		Zones: func(region string) []string {
			var out []string
			for _, z := range ec2.Zones(region) {
				out = append(out, z.Name)
			}
			return out
		},
		Import: func(exportName string) (string, bool) {
			v, _, ok := s.export(ctx, region, account, exportName)
			return v, ok
		}}
	for _, p := range params {
		decl := t.Parameters[p.Key]
		if decl != nil && (strings.HasPrefix(decl.Type, "List<") || decl.Type == "CommaDelimitedList") {
			var l []any
			for _, x := range strings.Split(p.Value, ",") {
				l = append(l, strings.TrimSpace(x))
			}
			if p.Value == "" {
				l = []any{}
			}
			sc.Parameters[p.Key] = l
		} else {
			sc.Parameters[p.Key] = p.Value
		}
	}
	return sc
}

// resolveParameters is each template parameter's value: given, previous
// (UsePreviousValue), or its default.
func resolveParameters(t *Template, given []ParameterInput, previous []ParameterValue) ([]ParameterValue, error) {
	byKey := map[string]ParameterInput{}
	var unknown []string
	for _, g := range given {
		if _, ok := t.Parameters[g.Key]; !ok {
			unknown = append(unknown, g.Key)
		}
		byKey[g.Key] = g
	}
	if len(unknown) > 0 {
		return nil, awserr.Errorf(CodeValidation, "Parameters: [%s] do not exist in the template", strings.Join(unknown, ", "))
	}
	var out []ParameterValue
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(t.Parameters)) {
		decl := t.Parameters[name]
		g, ok := byKey[name]
		var v string
		switch {
		case ok && g.UsePrevious:
			i := slices.IndexFunc(previous, func(p ParameterValue) bool { return p.Key == name })
			if i < 0 {
				return nil, awserr.Errorf(CodeValidation, "Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", name)
			}
			v = previous[i].Value
		case ok:
			v = g.Value
		case decl.Default != nil:
			v = *decl.Default
		default:
			missing = append(missing, name)
			continue
		}
		if err := checkParameter(name, decl, v); err != nil {
			return nil, err
		}
		out = append(out, ParameterValue{Key: name, Value: v, NoEcho: decl.NoEcho})
	}
	if len(missing) > 0 {
		return nil, awserr.Errorf(CodeValidation, "Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return out, nil
}

func checkParameter(name string, decl *Parameter, v string) error {
	if len(decl.AllowedValues) > 0 && !slices.Contains(decl.AllowedValues, v) {
		return awserr.Errorf(CodeValidation, "Parameter '%s' must be one of AllowedValues", name)
	}
	if decl.Type == "Number" {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return awserr.Errorf(CodeValidation, "Parameter '%s' must be a number.", name)
		}
	}
	if decl.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + decl.AllowedPattern + ")$")
		if err == nil && !re.MatchString(v) {
			return awserr.Errorf(CodeValidation, "Parameter '%s' must match pattern %s", name, decl.AllowedPattern)
		}
	}
	return nil
}
