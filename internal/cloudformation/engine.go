package cloudformation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/cloudformation/resource"
	"github.com/keksdev/keks/internal/loop"
	"github.com/keksdev/keks/internal/store"
)

// Engine drives every stack in an *_IN_PROGRESS status to its end: it
// creates, updates and deletes resources through their providers, in
// dependency order, several at once, writing each resource's state after
// every step so that a restart resumes where it stood.
type Engine struct {
	CFN *Service
	// Clients returns the API clients a stack's operation acts with (a
	// forward access session of its caller, or its role's session).
	Clients func(ctx context.Context, st *Stack) (*resource.Clients, error)
	Log     *slog.Logger
	// Concurrency bounds the provider calls of one stack at a time.
	Concurrency int
	// Busy is the pace of passes while a stack is in progress (a second: a
	// step waits on keks, not on AWS, and each pass is a few local calls);
	// Idle, when none is (a stack operation's start wakes the engine).
	Busy, Idle time.Duration

	loop *loop.Loop
}

// NewEngine makes an engine.
func NewEngine(cfn *Service, clients func(context.Context, *Stack) (*resource.Clients, error), log *slog.Logger) *Engine {
	return &Engine{CFN: cfn, Clients: clients, Log: log, Concurrency: 4, Busy: time.Second, Idle: 5 * time.Minute, loop: loop.New()}
}

// Wake asks for a pass now.
func (e *Engine) Wake() { e.loop.Wake() }

// Run drives stacks until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	return e.loop.RunPaced(ctx, func(ctx context.Context) time.Duration {
		if e.Pass(ctx) {
			return e.Busy
		}
		return e.Idle
	})
}

// Pass takes one step on every stack in progress; it reports whether any
// still is.
func (e *Engine) Pass(ctx context.Context) bool {
	stacks, err := store.List[Stack](ctx, e.CFN.Store, stacksPrefix)
	if err != nil {
		e.Log.Warn("list stacks", "err", err)
		return true
	}
	busy := false
	var wg sync.WaitGroup
	for i := range stacks {
		if !InProgress(stacks[i].Status) {
			continue
		}
		busy = true
		wg.Add(1)
		go func(st *Stack) {
			defer wg.Done()
			if err := e.step(ctx, st); err != nil && ctx.Err() == nil {
				e.Log.Warn("stack step", "stack", st.Name, "status", st.Status, "err", err)
			}
		}(&stacks[i])
	}
	wg.Wait()
	return busy
}

// record is a resource record with its store revision.
type record struct {
	r   Resource
	rev int64
}

func (e *Engine) records(ctx context.Context, st *Stack) (map[string]*Resource, error) {
	rs, err := store.List[Resource](ctx, e.CFN.Store, resourcesOf(st.UUID))
	if err != nil {
		return nil, err
	}
	out := map[string]*Resource{}
	for i := range rs {
		out[rs[i].LogicalID] = &rs[i]
	}
	return out, nil
}

func (e *Engine) step(ctx context.Context, st *Stack) error {
	recs, err := e.records(ctx, st)
	if err != nil {
		return err
	}
	switch st.Status {
	case CreateInProgress, UpdateInProgress, UpdateRollbackInProgress:
		return e.forward(ctx, st, recs)
	case DeleteInProgress, RollbackInProgress, UpdateCompleteCleanupInProgress, UpdateRollbackCleanup:
		return e.teardown(ctx, st, recs)
	}
	return nil
}

// active is the template's resources whose condition holds, with the scope
// that resolves their properties.
func (e *Engine) active(ctx context.Context, st *Stack, recs map[string]*Resource) (*Template, map[string]bool, *Scope, error) {
	t, err := ParseTemplate(st.Template)
	if err != nil {
		return nil, nil, nil, err
	}
	scope := e.CFN.staticScope(ctx, st.Region, st.Account, st.Name, st.ID, t, st.Parameters)
	if err := scope.EvaluateConditions(t); err != nil {
		return nil, nil, nil, err
	}
	on := map[string]bool{}
	for id, r := range t.Resources {
		on[id] = r.Condition == "" || scope.Conditions[r.Condition]
	}
	scope.Resource = func(id string) (string, map[string]any, bool) {
		r := recs[id]
		if r == nil || r.PhysicalID == "" || !on[id] {
			return "", nil, false
		}
		return r.PhysicalID, r.Attributes, true
	}
	return t, on, scope, nil
}

func complete(status string) bool {
	return status == CreateComplete || status == UpdateComplete
}

// forward creates and updates the template's resources.
func (e *Engine) forward(ctx context.Context, st *Stack, recs map[string]*Resource) error {
	t, on, scope, err := e.active(ctx, st, recs)
	if err != nil {
		return e.failForward(ctx, st, recs, err.Error())
	}
	deps := t.Dependencies()
	done := func(id string) bool {
		if !on[id] {
			return true
		}
		r := recs[id]
		return r != nil && r.Op == st.Op && r.Pending == "" && complete(r.Status)
	}
	var failed []string
	for _, id := range slices.Sorted(maps.Keys(recs)) {
		r := recs[id]
		if r.Op == st.Op && strings.HasSuffix(r.Status, "_FAILED") {
			failed = append(failed, id)
		}
	}
	if len(failed) > 0 {
		verb := "create"
		if st.Status != CreateInProgress {
			verb = "update"
		}
		return e.failForward(ctx, st, recs, fmt.Sprintf("The following resource(s) failed to %s: [%s]. ", verb, strings.Join(failed, ", ")))
	}
	if st.Timeout > 0 && st.Status == CreateInProgress && e.CFN.now().After(st.OpStart.Add(time.Duration(st.Timeout)*time.Minute)) {
		return e.failForward(ctx, st, recs, "Stack creation time exceeded the specified timeout. ")
	}
	var tasks []func(context.Context, *resource.Clients)
	all := true
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		if done(id) {
			continue
		}
		all = false
		ready := true
		for _, d := range deps[id] {
			if !done(d) {
				ready = false
			}
		}
		if !ready {
			continue
		}
		decl, r := t.Resources[id], recs[id]
		tasks = append(tasks, func(ctx context.Context, cl *resource.Clients) {
			e.advance(ctx, st, id, decl, deps[id], r, scope, cl)
		})
	}
	if all {
		return e.finishForward(ctx, st, t, scope, recs)
	}
	return e.run(ctx, st, tasks)
}

// run calls tasks, at most Concurrency at once, with the stack's clients.
func (e *Engine) run(ctx context.Context, st *Stack, tasks []func(context.Context, *resource.Clients)) error {
	if len(tasks) == 0 {
		return nil
	}
	var cl *resource.Clients
	if e.Clients != nil {
		c, err := e.Clients(ctx, st)
		if err != nil {
			return e.failStack(ctx, st, err.Error())
		}
		cl = c
	}
	limit := make(chan struct{}, max(1, e.Concurrency))
	var wg sync.WaitGroup
	for _, task := range tasks {
		limit <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-limit; wg.Done() }()
			task(ctx, cl)
		}()
	}
	wg.Wait()
	return nil
}

// token is a stable idempotency token for one action on one resource.
func token(st *Stack, op int, action, logicalID string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%s|%s", st.ID, op, action, logicalID))
	return hex.EncodeToString(sum[:16])
}

func (e *Engine) request(st *Stack, r *Resource, cl *resource.Clients) *resource.Request {
	return &resource.Request{LogicalID: r.LogicalID, Type: r.Type, Properties: r.PendingProperties, OldProperties: r.Properties,
		PhysicalID: r.PhysicalID, State: maps.Clone(r.State), StackName: st.Name, StackID: st.ID, Region: st.Region,
		AccountID: st.Account, ClientToken: r.Token, Clients: cl}
}

// advance moves one resource of the template a step: begins its create or
// update, or waits on the one in progress.
func (e *Engine) advance(ctx context.Context, st *Stack, id string, decl *ResourceDecl, deps []string, prev *Resource, scope *Scope, cl *resource.Clients) {
	prov := e.CFN.Types[decl.Type]
	if prov == nil {
		e.save(ctx, st, &Resource{StackUUID: st.UUID, LogicalID: id, Type: decl.Type, Op: st.Op, Status: failedStatus(st, prev)},
			"Unrecognized resource type "+decl.Type)
		return
	}
	// A step already begun: wait on it, or call it again if it never returned.
	if prev != nil && prev.Op == st.Op && prev.Pending != "" {
		r := *prev
		if r.Started {
			res, err := prov.Wait(ctx, r.Pending, e.request(st, &r, cl))
			e.finishStep(ctx, st, &r, res, err)
			return
		}
		e.call(ctx, st, &r, prov, cl)
		return
	}
	props, err := scope.ResolveProperties(decl.Properties)
	if err != nil {
		r := Resource{StackUUID: st.UUID, LogicalID: id, Type: decl.Type, Op: st.Op, DeletionPolicy: decl.DeletionPolicy, DependsOn: deps}
		if prev != nil {
			r = *prev
			r.Op = st.Op
		}
		r.Status = failedStatus(st, prev)
		e.save(ctx, st, &r, err.Error())
		return
	}
	now := e.CFN.now()
	if prev == nil || prev.PhysicalID == "" && prev.Old == nil {
		// New: create it.
		r := Resource{StackUUID: st.UUID, LogicalID: id, Type: decl.Type, Op: st.Op, Status: CreateInProgress, Pending: "Create",
			PendingProperties: props, Token: token(st, st.Op, "Create", id), Updated: now, DeletionPolicy: decl.DeletionPolicy, DependsOn: deps}
		if !e.save(ctx, st, &r, "") {
			return
		}
		e.call(ctx, st, &r, prov, cl)
		return
	}
	r := *prev
	r.Op, r.DeletionPolicy, r.DependsOn = st.Op, decl.DeletionPolicy, deps
	// An update rollback returns to the resource a replacement superseded.
	if st.Status == UpdateRollbackInProgress && r.Old != nil && !r.Old.Deleting && r.Old.Type == decl.Type {
		cur := &Physical{Type: r.Type, PhysicalID: r.PhysicalID, Properties: r.Properties, Attributes: r.Attributes, State: r.State}
		r.Type, r.PhysicalID, r.Properties, r.Attributes, r.State = r.Old.Type, r.Old.PhysicalID, r.Old.Properties, r.Old.Attributes, r.Old.State
		r.Old = cur
		if cur.PhysicalID == "" {
			r.Old = nil
		}
		r.Status, r.Updated = UpdateComplete, now
		e.save(ctx, st, &r, "")
		return
	}
	if r.Type == decl.Type && reflect.DeepEqual(props, r.Properties) && complete(r.Status) {
		e.save(ctx, st, &r, "") // unchanged: done in this operation, with no event
		return
	}
	r.Status, r.Updated, r.PendingProperties = UpdateInProgress, now, props
	if r.Type != decl.Type {
		e.replace(ctx, st, &r, decl.Type, prov, cl)
		return
	}
	r.Pending, r.Started, r.Token = "Update", false, token(st, st.Op, "Update", id)
	if !e.save(ctx, st, &r, "") {
		return
	}
	e.call(ctx, st, &r, prov, cl)
}

// replace makes a new physical resource for r; the old one goes at cleanup.
func (e *Engine) replace(ctx context.Context, st *Stack, r *Resource, typ string, prov resource.Provider, cl *resource.Clients) {
	r.Old = &Physical{Type: r.Type, PhysicalID: r.PhysicalID, Properties: r.Properties, Attributes: r.Attributes, State: r.State}
	r.Type, r.PhysicalID, r.Attributes, r.State = typ, "", nil, nil
	r.Status, r.Pending, r.Started, r.Token = UpdateInProgress, "Create", false, token(st, st.Op, "Replace", r.LogicalID)
	if !e.save(ctx, st, r, "Requested update requires the creation of a new physical resource; hence creating one.") {
		return
	}
	e.call(ctx, st, r, prov, cl)
}

// call makes the provider call of r's pending operation and records what
// it returned.
func (e *Engine) call(ctx context.Context, st *Stack, r *Resource, prov resource.Provider, cl *resource.Clients) {
	req := e.request(st, r, cl)
	var res resource.Result
	var err error
	switch r.Pending {
	case "Create":
		res, err = prov.Create(ctx, req)
	case "Update":
		res, err = prov.Update(ctx, req)
		if errors.Is(err, resource.ErrReplace) {
			e.replace(ctx, st, r, r.Type, prov, cl)
			return
		}
	}
	if ctx.Err() != nil {
		return // stopping: the next server calls it again
	}
	r.Started = true
	e.finishStep(ctx, st, r, res, err)
}

// finishStep records a provider's answer to r's pending create or update.
func (e *Engine) finishStep(ctx context.Context, st *Stack, r *Resource, res resource.Result, err error) {
	if ctx.Err() != nil {
		return
	}
	now := e.CFN.now()
	r.Updated = now
	if res.PhysicalID != "" {
		r.PhysicalID = res.PhysicalID
	}
	if res.Attributes != nil {
		r.Attributes = res.Attributes
	}
	if res.State != nil {
		r.State = res.State
	}
	if err != nil {
		if r.Pending == "Create" && r.Old == nil {
			r.Status = CreateFailed
		} else {
			r.Status = UpdateFailed
		}
		r.Pending, r.Started = "", false
		e.save(ctx, st, r, errorReason(err))
		return
	}
	if !res.Done {
		e.save(ctx, st, r, "")
		return
	}
	if r.Pending == "Create" && r.Old == nil {
		r.Status = CreateComplete
	} else {
		r.Status = UpdateComplete
	}
	r.Properties, r.PendingProperties, r.Pending, r.Started = r.PendingProperties, nil, "", false
	e.save(ctx, st, r, "")
}

func failedStatus(st *Stack, prev *Resource) string {
	if prev == nil || prev.PhysicalID == "" {
		return CreateFailed
	}
	return UpdateFailed
}

// errorReason is what a provider's error says, as CloudFormation shows an
// API's error message.
func errorReason(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage() + " (Service: " + serviceOf(err) + ", Status Code: 400, Error Code: " + api.ErrorCode() + ")"
	}
	return err.Error()
}

func serviceOf(err error) string {
	var op *smithy.OperationError
	if errors.As(err, &op) {
		return op.ServiceID
	}
	return "keks"
}

// save writes r and, when its status changed or reason is set, the event
// that says so; it reports whether the write happened.
func (e *Engine) save(ctx context.Context, st *Stack, r *Resource, reason string) bool {
	var before Resource
	_, gerr := e.CFN.Store.Get(ctx, resourceKey(st.UUID, r.LogicalID), &before)
	if gerr != nil && !errors.Is(gerr, store.ErrNotFound) {
		e.Log.Warn("read resource", "stack", st.Name, "resource", r.LogicalID, "err", gerr)
		return false
	}
	if reason != "" || r.Status != before.Status {
		r.StatusReason = reason
	}
	event := (r.Status != before.Status || reason != "") && r.Status != ""
	err := e.CFN.Store.Transact(ctx, func(t *store.Txn) error {
		t.Put(resourceKey(st.UUID, r.LogicalID), r)
		if event {
			putEvent(t, resourceEvent(st, r, reason, e.CFN.now()))
		}
		return nil
	})
	if err != nil {
		e.Log.Warn("save resource", "stack", st.Name, "resource", r.LogicalID, "err", err)
		return false
	}
	return true
}

func resourceEvent(st *Stack, r *Resource, reason string, now time.Time) Event {
	ev := Event{ID: r.LogicalID + "-" + r.Status + "-" + now.Format("2006-01-02T15:04:05.000Z"), StackID: st.ID, StackName: st.Name,
		LogicalID: r.LogicalID, PhysicalID: r.PhysicalID, Type: r.Type, Time: now, Status: r.Status, StatusReason: reason, Token: st.Token}
	if strings.HasSuffix(r.Status, "_IN_PROGRESS") && r.Pending != "Delete" && r.PendingProperties != nil {
		b, _ := json.Marshal(r.PendingProperties)
		ev.Properties = string(b)
	}
	return ev
}
