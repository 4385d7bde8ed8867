package cloudformation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/keksdev/keks/internal/awserr"
)

// Template is a parsed CloudFormation template. Values are JSON values
// (map[string]any, []any, string, float64, bool, nil), YAML's short forms
// (!Ref x) turned into their long forms ({"Ref": x}).
type Template struct {
	Description string
	Parameters  map[string]*Parameter
	Mappings    map[string]any
	Conditions  map[string]any
	Resources   map[string]*ResourceDecl
	Outputs     map[string]*OutputDecl
}

// Parameter is a template parameter's declaration.
type Parameter struct {
	Type           string
	Default        *string
	Description    string
	AllowedValues  []string
	AllowedPattern string
	NoEcho         bool
}

// ResourceDecl is a resource as the template declares it.
type ResourceDecl struct {
	Type           string
	Properties     map[string]any
	DependsOn      []string
	Condition      string
	DeletionPolicy string
}

// OutputDecl is an output as the template declares it.
type OutputDecl struct {
	Value       any
	Description string
	Export      any // the export's Name, unresolved; nil when not exported
	Condition   string
}

// maxTemplateBody is CloudFormation's limit on TemplateBody.
const maxTemplateBody = 51200

func formatError(format string, a ...any) error {
	return awserr.Errorf(CodeValidation, "Template format error: "+format, a...)
}

// ParseTemplate reads a template in JSON or YAML.
func ParseTemplate(body string) (*Template, error) {
	if strings.TrimSpace(body) == "" {
		return nil, awserr.Errorf(CodeValidation, "Template body cannot be empty")
	}
	if len(body) > maxTemplateBody {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to %d", maxTemplateBody)
	}
	var root any
	if trimmed := strings.TrimSpace(body); strings.HasPrefix(trimmed, "{") {
		dec := json.NewDecoder(strings.NewReader(body))
		if err := dec.Decode(&root); err != nil {
			return nil, formatError("JSON not well-formed. (%v)", err)
		}
	} else {
		var doc yaml.Node
		if err := yaml.NewDecoder(bytes.NewReader([]byte(body))).Decode(&doc); err != nil {
			return nil, formatError("YAML not well-formed. (%v)", err)
		}
		v, err := fromYAML(&doc, 0)
		if err != nil {
			return nil, err
		}
		root = v
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, formatError("not a JSON or YAML object")
	}
	return templateOf(top)
}

// shortForms maps YAML's tags to the functions they stand for.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!GetAZs": "Fn::GetAZs", "!If": "Fn::If", "!Equals": "Fn::Equals",
	"!And": "Fn::And", "!Or": "Fn::Or", "!Not": "Fn::Not", "!Base64": "Fn::Base64", "!ImportValue": "Fn::ImportValue",
	"!FindInMap": "Fn::FindInMap", "!Cidr": "Fn::Cidr", "!Length": "Fn::Length", "!ToJsonString": "Fn::ToJsonString",
}

// fromYAML turns a YAML node into a JSON value, short forms into long ones.
func fromYAML(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, formatError("YAML nested too deeply")
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return fromYAML(n.Content[0], depth+1)
	case yaml.AliasNode:
		return fromYAML(n.Alias, depth+1)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue // merge keys are not CloudFormation's
			}
			x, err := fromYAML(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			x, err := fromYAML(c, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		v = l
	case yaml.ScalarNode:
		v = scalarOf(n)
	}
	tag := n.Tag
	if tag == "" || strings.HasPrefix(tag, "!!") || n.Kind == yaml.DocumentNode {
		return v, nil
	}
	fn, ok := shortForms[tag]
	if !ok {
		return nil, formatError("unknown tag %s", tag)
	}
	if fn == "Fn::GetAtt" {
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, formatError("Template error: every Fn::GetAtt object requires two non-empty parameters")
			}
			v = []any{res, attr}
		}
	}
	return map[string]any{fn: v}, nil
}

func scalarOf(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil {
			return f
		}
		return n.Value
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true
		}
		return false
	case "!!null":
		return nil
	}
	return n.Value
}

var topLevel = []string{"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs"}

func templateOf(top map[string]any) (*Template, error) {
	for k := range top {
		if !slices.Contains(topLevel, k) {
			return nil, formatError("Invalid template property or properties [%s]", k)
		}
	}
	if _, ok := top["Transform"]; ok {
		return nil, awserr.Errorf(CodeValidation, "Transform is not supported by keks's CloudFormation")
	}
	t := &Template{Parameters: map[string]*Parameter{}, Resources: map[string]*ResourceDecl{}, Outputs: map[string]*OutputDecl{}}
	if v, ok := top["AWSTemplateFormatVersion"]; ok && fmt.Sprint(v) != "2010-09-09" {
		return nil, formatError("Unsupported template format version %v", v)
	}
	if d, ok := top["Description"].(string); ok {
		t.Description = d
	}
	if m, ok := top["Mappings"].(map[string]any); ok {
		t.Mappings = m
	}
	if m, ok := top["Conditions"].(map[string]any); ok {
		t.Conditions = m
	}
	if err := t.readParameters(top["Parameters"]); err != nil {
		return nil, err
	}
	resources, ok := top["Resources"].(map[string]any)
	if !ok || len(resources) == 0 {
		return nil, formatError("At least one Resources member must be defined.")
	}
	for id, raw := range resources {
		r, err := resourceDeclOf(id, raw)
		if err != nil {
			return nil, err
		}
		t.Resources[id] = r
	}
	if outs, ok := top["Outputs"].(map[string]any); ok {
		for id, raw := range outs {
			m, ok := raw.(map[string]any)
			if !ok {
				return nil, formatError("[/Outputs/%s] 'null' values are not allowed in templates", id)
			}
			if _, ok := m["Value"]; !ok {
				return nil, formatError("[/Outputs/%s] Every Outputs member must contain a Value object", id)
			}
			o := &OutputDecl{Value: m["Value"]}
			o.Description, _ = m["Description"].(string)
			o.Condition, _ = m["Condition"].(string)
			if e, ok := m["Export"].(map[string]any); ok {
				o.Export = e["Name"]
			}
			t.Outputs[id] = o
		}
	}
	if err := t.checkReferences(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Template) readParameters(raw any) error {
	params, _ := raw.(map[string]any)
	for name, p := range params {
		m, ok := p.(map[string]any)
		if !ok {
			return formatError("[/Parameters/%s] 'null' values are not allowed in templates", name)
		}
		typ, _ := m["Type"].(string)
		if typ == "" {
			return formatError("[/Parameters/%s] Every Parameters object must contain a Type member.", name)
		}
		if !validParameterType(typ) {
			return formatError("Unrecognized parameter type: %s", typ)
		}
		decl := &Parameter{Type: typ}
		if d, ok := m["Default"]; ok && d != nil {
			s := scalarString(d)
			decl.Default = &s
		}
		decl.Description, _ = m["Description"].(string)
		decl.AllowedPattern, _ = m["AllowedPattern"].(string)
		if av, ok := m["AllowedValues"].([]any); ok {
			for _, v := range av {
				decl.AllowedValues = append(decl.AllowedValues, scalarString(v))
			}
		}
		switch ne := m["NoEcho"].(type) {
		case bool:
			decl.NoEcho = ne
		case string:
			decl.NoEcho = strings.EqualFold(ne, "true")
		}
		t.Parameters[name] = decl
	}
	return nil
}

func validParameterType(typ string) bool {
	switch typ {
	case "String", "Number", "List<Number>", "CommaDelimitedList":
		return true
	}
	inner, isList := strings.CutPrefix(typ, "List<")
	if isList {
		inner = strings.TrimSuffix(inner, ">")
	}
	return strings.HasPrefix(inner, "AWS::") || strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<")
}

// scalarString is a scalar as a string: numbers without a needless ".0".
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalarString(e)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func resourceDeclOf(id string, raw any) (*ResourceDecl, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, formatError("[/Resources/%s] 'null' values are not allowed in templates", id)
	}
	r := &ResourceDecl{}
	r.Type, _ = m["Type"].(string)
	if r.Type == "" {
		return nil, formatError("[/Resources/%s] Every Resources object must contain a Type member.", id)
	}
	if p, ok := m["Properties"]; ok && p != nil {
		props, ok := p.(map[string]any)
		if !ok {
			return nil, formatError("[/Resources/%s/Properties] Every Properties member must be an object", id)
		}
		r.Properties = props
	}
	switch d := m["DependsOn"].(type) {
	case string:
		r.DependsOn = []string{d}
	case []any:
		for _, x := range d {
			s, ok := x.(string)
			if !ok {
				return nil, formatError("[/Resources/%s/DependsOn] DependsOn must be a string or a list of strings", id)
			}
			r.DependsOn = append(r.DependsOn, s)
		}
	case nil:
	default:
		return nil, formatError("[/Resources/%s/DependsOn] DependsOn must be a string or a list of strings", id)
	}
	r.Condition, _ = m["Condition"].(string)
	r.DeletionPolicy, _ = m["DeletionPolicy"].(string)
	switch r.DeletionPolicy {
	case "", "Delete", "Retain", "RetainExceptOnCreate", "Snapshot":
	default:
		return nil, formatError("[/Resources/%s/DeletionPolicy] Unrecognized DeletionPolicy %s", id, r.DeletionPolicy)
	}
	return r, nil
}

// pseudoParameters are the names Ref resolves without a declaration.
var pseudoParameters = []string{"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId", "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs"}

// checkReferences refuses what points nowhere: Refs, GetAtts, Subs and
// DependsOn naming no parameter or resource, conditions not declared.
func (t *Template) checkReferences() error {
	var unresolved []string
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		for _, d := range r.DependsOn {
			if _, ok := t.Resources[d]; !ok {
				unresolved = append(unresolved, d)
			}
		}
		refs, atts := references(r.Properties)
		for _, ref := range refs {
			if _, ok := t.Resources[ref]; ok {
				continue
			}
			if _, ok := t.Parameters[ref]; ok || slices.Contains(pseudoParameters, ref) {
				continue
			}
			unresolved = append(unresolved, ref)
		}
		for _, a := range atts {
			if _, ok := t.Resources[a]; !ok {
				return awserr.Errorf(CodeValidation, "Template error: instance of Fn::GetAtt references undefined resource %s", a)
			}
		}
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return formatError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", r.Condition)
			}
		}
	}
	if len(unresolved) > 0 {
		slices.Sort(unresolved)
		return formatError("Unresolved resource dependencies [%s] in the Resources block of the template", strings.Join(slices.Compact(unresolved), ", "))
	}
	for _, id := range slices.Sorted(maps.Keys(t.Outputs)) {
		refs, atts := references(t.Outputs[id].Value)
		for _, ref := range append(refs, atts...) {
			if _, ok := t.Resources[ref]; ok {
				continue
			}
			if _, ok := t.Parameters[ref]; ok || slices.Contains(pseudoParameters, ref) {
				continue
			}
			return formatError("Unresolved resource dependencies [%s] in the Outputs block of the template", ref)
		}
	}
	return nil
}

// references lists the names a value refers to: by Ref (and Sub's ${X})
// and by Fn::GetAtt (and Sub's ${X.Attr}).
func references(v any) (refs, atts []string) {
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				if r, ok := x["Ref"].(string); ok {
					refs = append(refs, r)
					return
				}
				if g, ok := x["Fn::GetAtt"]; ok {
					if name := getAttResource(g); name != "" {
						atts = append(atts, name)
					}
					walk(g)
					return
				}
				if s, ok := x["Fn::Sub"]; ok {
					str, vars := subParts(s)
					for _, name := range subNames(str) {
						if _, local := vars[name]; local {
							continue
						}
						if res, _, isAtt := strings.Cut(name, "."); isAtt {
							atts = append(atts, res)
						} else {
							refs = append(refs, name)
						}
					}
					for _, vv := range vars {
						walk(vv)
					}
					return
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return refs, atts
}

func getAttResource(g any) string {
	switch x := g.(type) {
	case []any:
		if len(x) > 0 {
			s, _ := x[0].(string)
			return s
		}
	case string:
		res, _, _ := strings.Cut(x, ".")
		return res
	}
	return ""
}

// subParts splits Fn::Sub's argument: a string, or [string, {vars}].
func subParts(s any) (string, map[string]any) {
	switch x := s.(type) {
	case string:
		return x, nil
	case []any:
		if len(x) == 2 {
			str, _ := x[0].(string)
			vars, _ := x[1].(map[string]any)
			return str, vars
		}
	}
	return "", nil
}

// subNames lists the ${Name} placeholders of a Sub string (not ${!Literal}).
func subNames(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return out
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !strings.HasPrefix(name, "!") && name != "" {
			out = append(out, name)
		}
		s = s[i+j+1:]
	}
}

// IAMCapability is the capability a template's IAM resources need: ""
// for none, CAPABILITY_IAM, or CAPABILITY_NAMED_IAM when they have names
// of their own.
func (t *Template) IAMCapability() string {
	need := ""
	for _, r := range t.Resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		if need == "" {
			need = "CAPABILITY_IAM"
		}
		for _, p := range []string{"RoleName", "ManagedPolicyName", "InstanceProfileName", "UserName", "GroupName"} {
			if _, ok := r.Properties[p]; ok {
				need = "CAPABILITY_NAMED_IAM"
			}
		}
	}
	return need
}

// ResourceTypes lists the template's resource types, sorted.
func (t *Template) ResourceTypes() []string {
	var out []string
	for _, r := range t.Resources {
		out = append(out, r.Type)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
