package cloudformation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

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

// CreateStack checks a new stack and records it CREATE_IN_PROGRESS; the
// engine creates its resources.
func (s *Service) CreateStack(ctx context.Context, in CreateInput) (*Stack, error) {
	if err := checkStackName(in.Name); err != nil {
		return nil, err
	}
	if in.DisableRollback != nil && in.OnFailure != "" {
		return nil, awserr.Errorf(CodeValidation, "You can specify either DisableRollback or OnFailure, but not both.")
	}
	onFailure := cmp.Or(in.OnFailure, "ROLLBACK")
	if in.DisableRollback != nil && *in.DisableRollback {
		onFailure = "DO_NOTHING"
	}
	switch onFailure {
	case "ROLLBACK", "DELETE", "DO_NOTHING":
	default:
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]", onFailure)
	}
	if in.Timeout < 0 {
		return nil, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%d' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value greater than or equal to 1", in.Timeout)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	// A retry of a create that succeeded (same token) answers as it did.
	if existing, _, err := s.findLive(ctx, in.Region, in.Name); err == nil {
		if err := sameToken(existing, in.Token, "CreateStack"); err != nil || (in.Token != "" && existing.Token == in.Token) {
			return existing, err
		}
		return nil, awserr.Errorf(CodeAlreadyExists, "Stack [%s] already exists", in.Name)
	}
	id := uuid.NewString()
	arn := fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", in.Region, in.Caller.Account, in.Name, id)
	p, err := s.prepare(ctx, in.Region, in.Caller.Account, in.Name, arn, in.TemplateBody, in.TemplateURL, in.Parameters, nil, in.Capabilities)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st := &Stack{ID: arn, UUID: id, Name: in.Name, Region: in.Region, Account: in.Caller.Account, Status: CreateInProgress,
		StatusReason: "User Initiated", Description: p.t.Description, Created: now, Template: in.TemplateBody, Parameters: p.params,
		Capabilities: in.Capabilities, Tags: in.Tags, OnFailure: onFailure, RoleARN: in.RoleARN, Timeout: in.Timeout,
		Imports: p.imports, Caller: in.Caller, Op: 1, OpStart: now, Token: in.Token, TokenOp: "CreateStack", TerminationProtection: in.Protect}
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		var idx nameIndex
		if _, err := s.Store.Get(ctx, nameKey(in.Region, in.Name), &idx); err == nil {
			return awserr.Errorf(CodeAlreadyExists, "Stack [%s] already exists", in.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Create(nameKey(in.Region, in.Name), nameIndex{UUID: id})
		t.Create(stackKey(id), st)
		putEvent(t, stackEvent(st, CreateInProgress, "User Initiated", now))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// sameToken is nil when a request repeats the operation token was given
// with (a retry, answered as the first was), CloudFormation's error when
// the token came with another operation.
func sameToken(st *Stack, token, op string) error {
	if token == "" || st.Token != token || st.TokenOp == op {
		return nil
	}
	return awserr.Errorf(CodeTokenAlreadyExists, "A client request token %s already exists for another operation (%s) on stack %s", token, st.TokenOp, st.Name)
}

func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if strings.HasPrefix(t.Key, "aws:") {
			return awserr.Errorf(CodeValidation, "Invalid tag key: aws: prefixed tag key names are not allowed for external use")
		}
	}
	return nil
}

// UpdateInput is UpdateStack's request.
type UpdateInput struct {
	Region              string
	Caller              Caller
	Name                string // name or stack id
	TemplateBody        string
	TemplateURL         string
	UsePreviousTemplate bool
	Parameters          []ParameterInput
	Capabilities        []string
	Tags                []Tag
	TagsGiven           bool
	RoleARN             string
	Token               string
	DisableRollback     bool
}

// UpdateStack starts an update of a stack that is in a stable state.
func (s *Service) UpdateStack(ctx context.Context, in UpdateInput) (*Stack, error) {
	cur, _, err := s.Find(ctx, in.Region, in.Name, false)
	if err != nil {
		return nil, err
	}
	if in.Token != "" && cur.Token == in.Token {
		return cur, sameToken(cur, in.Token, "UpdateStack")
	}
	switch cur.Status {
	case CreateComplete, UpdateComplete, UpdateRollbackComplete:
	default:
		return nil, awserr.Errorf(CodeValidation, "Stack:%s is in %s state and can not be updated.", cur.ID, cur.Status)
	}
	body := in.TemplateBody
	if in.UsePreviousTemplate {
		if body != "" {
			return nil, awserr.Errorf(CodeValidation, "You cannot specify both usePreviousTemplate and Template Body/Template URL")
		}
		body = cur.Template
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	p, err := s.prepare(ctx, in.Region, cur.Account, cur.Name, cur.ID, body, in.TemplateURL, in.Parameters, cur.Parameters, in.Capabilities)
	if err != nil {
		return nil, err
	}
	tags := cur.Tags
	if in.TagsGiven {
		tags = in.Tags
	}
	roleARN := cmp.Or(in.RoleARN, cur.RoleARN)
	if body == cur.Template && slices.Equal(p.params, cur.Parameters) && slices.Equal(tags, cur.Tags) && roleARN == cur.RoleARN {
		return nil, awserr.Errorf(CodeValidation, "No updates are to be performed.")
	}
	var out *Stack
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		var st Stack
		rev, err := s.Store.Get(ctx, stackKey(cur.UUID), &st)
		if err != nil {
			return err
		}
		if st.Status != cur.Status {
			return awserr.Errorf(CodeValidation, "Stack:%s is in %s state and can not be updated.", st.ID, st.Status)
		}
		now := s.now()
		st.Previous = &Previous{Template: st.Template, Parameters: st.Parameters, Outputs: st.Outputs}
		st.Template, st.Parameters, st.Tags, st.RoleARN, st.Imports = body, p.params, tags, roleARN, p.imports
		st.Description = p.t.Description
		st.Capabilities = in.Capabilities
		st.Status, st.StatusReason = UpdateInProgress, "User Initiated"
		st.Op++
		st.OpStart, st.Updated, st.Token, st.TokenOp = now, now, in.Token, "UpdateStack"
		st.Caller = in.Caller
		if in.DisableRollback {
			st.OnFailure = "DO_NOTHING"
		}
		t.Unchanged(stackKey(st.UUID), rev)
		t.Put(stackKey(st.UUID), &st)
		putEvent(t, stackEvent(&st, UpdateInProgress, "User Initiated", now))
		out = &st
		return nil
	})
	return out, err
}

// DeleteStack starts deleting a stack; a stack that does not exist, or
// is already deleted or being deleted, is not an error.
func (s *Service) DeleteStack(ctx context.Context, region, nameOrID, roleARN, token string, caller Caller) error {
	cur, _, err := s.Find(ctx, region, nameOrID, true)
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code == CodeValidation {
			return nil
		}
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		var st Stack
		rev, err := s.Store.Get(ctx, stackKey(cur.UUID), &st)
		if err != nil {
			return err
		}
		if token != "" && st.Token == token {
			return sameToken(&st, token, "DeleteStack")
		}
		switch st.Status {
		case DeleteComplete, DeleteInProgress:
			return nil
		case UpdateInProgress, UpdateCompleteCleanupInProgress, UpdateRollbackInProgress, UpdateRollbackCleanup, RollbackInProgress:
			return awserr.Errorf(CodeValidation, "Stack [%s] cannot be deleted while in status %s", st.Name, st.Status)
		}
		if st.TerminationProtection {
			return awserr.Errorf(CodeValidation, "Stack [%s] cannot be deleted while TerminationProtection is enabled", st.Name)
		}
		now := s.now()
		st.Status, st.StatusReason = DeleteInProgress, "User Initiated"
		st.Op++
		st.OpStart, st.Token, st.TokenOp = now, token, "DeleteStack"
		if roleARN != "" {
			st.RoleARN = roleARN
		}
		st.Caller = caller
		t.Unchanged(stackKey(st.UUID), rev)
		t.Put(stackKey(st.UUID), &st)
		putEvent(t, stackEvent(&st, DeleteInProgress, "User Initiated", now))
		return nil
	})
}

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

var eventSeq atomic.Uint64

func newEventID() string { return uuid.NewString() }

// putEvent adds an event to a transaction, keyed so that keys sort by time.
func putEvent(t *store.Txn, ev Event) {
	key := fmt.Sprintf("%s%020d-%06d", eventsOf(stackUUIDOf(ev.StackID)), ev.Time.UnixNano(), eventSeq.Add(1)%1000000)
	t.Put(key, ev)
}

func stackUUIDOf(id string) string { return id[strings.LastIndex(id, "/")+1:] }

func stackEvent(st *Stack, status, reason string, now time.Time) Event {
	return Event{ID: newEventID(), StackID: st.ID, StackName: st.Name, LogicalID: st.Name, PhysicalID: st.ID,
		Type: "AWS::CloudFormation::Stack", Time: now, Status: status, StatusReason: reason, Token: st.Token}
}

// SetTerminationProtection turns a live stack's termination protection on or off.
func (s *Service) SetTerminationProtection(ctx context.Context, region, nameOrID string, on bool) (*Stack, error) {
	cur, _, err := s.Find(ctx, region, nameOrID, true)
	if err != nil {
		return nil, err
	}
	return store.Mutate(ctx, s.Store, stackKey(cur.UUID), func(st *Stack) error {
		st.TerminationProtection = on
		return nil
	})
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
