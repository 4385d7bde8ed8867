package cloudformation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

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
