package cloudformation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/cloudformation/resource"
	"github.com/keksdev/keks/internal/store"
)

// teardown deletes what the stack's operation removes, dependents before
// what they depend on: every resource (DELETE, ROLLBACK), or those the
// template no longer has and those replacements superseded (the cleanups
// of an update and of an update rollback).
func (e *Engine) teardown(ctx context.Context, st *Stack, recs map[string]*Resource) error {
	whole := st.Status == DeleteInProgress || st.Status == RollbackInProgress
	keep := map[string]bool{}
	if !whole {
		t, on, _, err := e.active(ctx, st, recs)
		if err != nil {
			return e.failStack(ctx, st, err.Error())
		}
		for id := range t.Resources {
			keep[id] = on[id]
		}
	}
	if st.Status == DeleteInProgress && !anyDeleting(recs) {
		if user := e.exportInUse(ctx, st); user != "" {
			return e.move(ctx, st, DeleteFailed, user, nil)
		}
	}
	// The resources still to go, and which of them others still need.
	going := map[string]bool{}
	for id := range recs {
		if whole || !keep[id] {
			going[id] = true
		}
	}
	needed := map[string]bool{}
	for id := range going {
		for _, d := range recs[id].DependsOn {
			needed[d] = true
		}
	}
	var tasks []func(context.Context, *resource.Clients)
	var failed []string
	for _, id := range slices.Sorted(maps.Keys(recs)) {
		r := recs[id]
		if r.Status == DeleteFailed && r.Op == st.Op {
			failed = append(failed, id)
			continue
		}
		if r.Old != nil {
			tasks = append(tasks, func(ctx context.Context, cl *resource.Clients) { e.deleteOld(ctx, st, r, cl) })
		}
		if going[id] && !needed[id] {
			tasks = append(tasks, func(ctx context.Context, cl *resource.Clients) { e.deleteOne(ctx, st, r, cl) })
		}
	}
	if len(failed) > 0 {
		reason := fmt.Sprintf("The following resource(s) failed to delete: [%s]. ", strings.Join(failed, ", "))
		switch st.Status {
		case DeleteInProgress:
			return e.move(ctx, st, DeleteFailed, reason, nil)
		case RollbackInProgress:
			return e.move(ctx, st, RollbackFailed, reason, nil)
		}
		// A cleanup that fails leaves the resource behind, as AWS does.
		for _, id := range failed {
			if err := e.CFN.Store.Delete(ctx, resourceKey(st.UUID, id)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(tasks) == 0 && len(going) == 0 {
		return e.finishTeardown(ctx, st)
	}
	return e.run(ctx, st, tasks)
}

func anyDeleting(recs map[string]*Resource) bool {
	for _, r := range recs {
		if r.Pending == "Delete" || r.Status == DeleteComplete {
			return true
		}
	}
	return false
}

// exportInUse is why a stack's exports keep it: another stack imports one.
func (e *Engine) exportInUse(ctx context.Context, st *Stack) string {
	stacks, err := e.CFN.Stacks(ctx, st.Region, st.Account)
	if err != nil {
		return ""
	}
	for _, o := range st.Outputs {
		if o.ExportName == "" {
			continue
		}
		for _, other := range stacks {
			if other.UUID != st.UUID && other.Status != DeleteComplete && slices.Contains(other.Imports, o.ExportName) {
				return fmt.Sprintf("Export %s cannot be deleted as it is in use by %s", o.ExportName, other.Name)
			}
		}
	}
	return ""
}

func (e *Engine) finishTeardown(ctx context.Context, st *Stack) error {
	switch st.Status {
	case DeleteInProgress:
		if err := e.CFN.Store.DeletePrefix(ctx, resourcesOf(st.UUID)); err != nil {
			return err
		}
		return e.move(ctx, st, DeleteComplete, "", func(s *Stack) { s.Outputs = nil })
	case RollbackInProgress:
		return e.move(ctx, st, RollbackComplete, "", func(s *Stack) { s.Outputs = nil })
	case UpdateCompleteCleanupInProgress:
		return e.move(ctx, st, UpdateComplete, "", nil)
	default:
		return e.move(ctx, st, UpdateRollbackComplete, "", nil)
	}
}

// deleteOne deletes a record's resource, or waits on its deletion.
func (e *Engine) deleteOne(ctx context.Context, st *Stack, r *Resource, cl *resource.Clients) {
	prov := e.CFN.Types[r.Type]
	gone := func() {
		if err := e.CFN.Store.Delete(ctx, resourceKey(st.UUID, r.LogicalID)); err != nil {
			e.Log.Warn("remove resource record", "stack", st.Name, "resource", r.LogicalID, "err", err)
		}
	}
	// Never made (or its create never answered): nothing to delete.
	if r.Status == "" || r.PhysicalID == "" {
		if r.Status != "" && r.Status != DeleteComplete {
			r.Status, r.Pending, r.Op = DeleteComplete, "", st.Op
			e.save(ctx, st, r, "")
		}
		gone()
		return
	}
	if r.DeletionPolicy == "Retain" || (r.DeletionPolicy == "RetainExceptOnCreate" && st.Status != RollbackInProgress) {
		r.Status, r.Pending, r.Op = DeleteSkipped, "", st.Op
		e.save(ctx, st, r, "")
		gone()
		return
	}
	if prov == nil {
		gone()
		return
	}
	req := &resource.Request{LogicalID: r.LogicalID, Type: r.Type, Properties: r.Properties, PhysicalID: r.PhysicalID, State: maps.Clone(r.State),
		StackName: st.Name, StackID: st.ID, Region: st.Region, AccountID: st.Account, Clients: cl}
	var res resource.Result
	var err error
	if r.Pending == "Delete" && r.Op == st.Op && r.Started {
		req.ClientToken = r.Token
		res, err = prov.Wait(ctx, "Delete", req)
	} else {
		r.Op, r.Status, r.Pending, r.Started, r.Token = st.Op, DeleteInProgress, "Delete", false, token(st, st.Op, "Delete", r.LogicalID)
		if !e.save(ctx, st, r, "") {
			return
		}
		req.ClientToken = r.Token
		res, err = prov.Delete(ctx, req)
	}
	if ctx.Err() != nil {
		return
	}
	r.Started = true
	if res.State != nil {
		r.State = res.State
	}
	switch {
	case err != nil:
		r.Status, r.Pending = DeleteFailed, ""
		e.save(ctx, st, r, errorReason(err))
	case res.Done:
		r.Status, r.Pending = DeleteComplete, ""
		e.save(ctx, st, r, "")
		gone()
	default:
		e.save(ctx, st, r, "")
	}
}

// deleteOld deletes the physical resource a replacement superseded.
func (e *Engine) deleteOld(ctx context.Context, st *Stack, r *Resource, cl *resource.Clients) {
	old := r.Old
	prov := e.CFN.Types[old.Type]
	if prov == nil || old.PhysicalID == "" {
		e.clearOld(ctx, st, r)
		return
	}
	req := &resource.Request{LogicalID: r.LogicalID, Type: old.Type, Properties: old.Properties, PhysicalID: old.PhysicalID, State: maps.Clone(old.State),
		StackName: st.Name, StackID: st.ID, Region: st.Region, AccountID: st.Account, ClientToken: token(st, st.Op, "DeleteOld", r.LogicalID), Clients: cl}
	var res resource.Result
	var err error
	if old.Deleting {
		res, err = prov.Wait(ctx, "Delete", req)
	} else {
		res, err = prov.Delete(ctx, req)
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		e.Log.Warn("delete superseded resource", "stack", st.Name, "resource", r.LogicalID, "physical", old.PhysicalID, "err", err)
		e.clearOld(ctx, st, r) // left behind, as CloudFormation leaves a cleanup failure
		return
	}
	if res.Done {
		e.clearOld(ctx, st, r)
		return
	}
	if res.State != nil {
		old.State = res.State
	}
	old.Deleting = true
	if err := e.CFN.Store.Put(ctx, resourceKey(st.UUID, r.LogicalID), r); err != nil {
		e.Log.Warn("save resource", "stack", st.Name, "resource", r.LogicalID, "err", err)
	}
}

func (e *Engine) clearOld(ctx context.Context, st *Stack, r *Resource) {
	_, err := store.Mutate(ctx, e.CFN.Store, resourceKey(st.UUID, r.LogicalID), func(cur *Resource) error {
		cur.Old = nil
		return nil
	})
	if err != nil {
		e.Log.Warn("save resource", "stack", st.Name, "resource", r.LogicalID, "err", err)
	}
}
