package cloudformation

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/store"
)

// failForward ends a create or update that failed: resources still in
// progress are cancelled, and the stack rolls back (or, with DO_NOTHING,
// stays failed).
func (e *Engine) failForward(ctx context.Context, st *Stack, recs map[string]*Resource, reason string) error {
	for _, id := range slices.Sorted(maps.Keys(recs)) {
		r := recs[id]
		if r.Op != st.Op || r.Pending == "" {
			continue
		}
		cancelled := "Resource creation cancelled"
		r.Status = CreateFailed
		if r.Pending == "Update" || r.Old != nil {
			cancelled, r.Status = "Resource update cancelled", UpdateFailed
		}
		if r.Pending == "Update" {
			r.PendingProperties = nil
		}
		r.Pending, r.Started = "", false
		e.save(ctx, st, r, cancelled)
	}
	switch {
	case st.Status == CreateInProgress && st.OnFailure == "DO_NOTHING":
		return e.move(ctx, st, CreateFailed, reason, nil)
	case st.Status == CreateInProgress && st.OnFailure == "DELETE":
		return e.move(ctx, st, DeleteInProgress, reason, func(s *Stack) { s.Op++ })
	case st.Status == CreateInProgress:
		return e.move(ctx, st, RollbackInProgress, reason+"Rollback requested by user.", func(s *Stack) { s.Op++ })
	case st.Status == UpdateInProgress:
		return e.move(ctx, st, UpdateRollbackInProgress, reason, func(s *Stack) {
			s.Op++
			if s.Previous != nil {
				s.Template, s.Parameters, s.Outputs = s.Previous.Template, s.Previous.Parameters, s.Previous.Outputs
			}
		})
	default: // an update rollback that failed
		return e.move(ctx, st, UpdateRollbackFailed, reason, nil)
	}
}

// failStack fails the operation in progress for a reason of the stack's
// own (its role cannot be assumed...).
func (e *Engine) failStack(ctx context.Context, st *Stack, reason string) error {
	switch st.Status {
	case CreateInProgress, UpdateInProgress, UpdateRollbackInProgress:
		recs, err := e.records(ctx, st)
		if err != nil {
			return err
		}
		return e.failForward(ctx, st, recs, reason+" ")
	case DeleteInProgress:
		return e.move(ctx, st, DeleteFailed, reason, nil)
	case RollbackInProgress:
		return e.move(ctx, st, RollbackFailed, reason, nil)
	}
	return e.move(ctx, st, UpdateComplete, "", nil)
}

// finishForward resolves the outputs and moves the stack on.
func (e *Engine) finishForward(ctx context.Context, st *Stack, t *Template, scope *Scope, recs map[string]*Resource) error {
	var outs []Output
	for _, key := range slices.Sorted(maps.Keys(t.Outputs)) {
		o := t.Outputs[key]
		if o.Condition != "" && !scope.Conditions[o.Condition] {
			continue
		}
		v, err := scope.Resolve(o.Value)
		if err != nil {
			return e.failForward(ctx, st, recs, err.Error()+" ")
		}
		out := Output{Key: key, Value: scalarString(v), Description: o.Description}
		if o.Export != nil {
			n, err := scope.Resolve(o.Export)
			if err != nil {
				return e.failForward(ctx, st, recs, err.Error()+" ")
			}
			out.ExportName = scalarString(n)
			if _, owner, ok := e.CFN.export(ctx, st.Region, st.Account, out.ExportName); ok && owner != st.ID {
				return e.failForward(ctx, st, recs, fmt.Sprintf("Export with name %s is already exported by stack %s. ", out.ExportName, owner[strings.Index(owner, "/")+1:strings.LastIndex(owner, "/")]))
			}
		}
		outs = append(outs, out)
	}
	switch st.Status {
	case CreateInProgress:
		return e.move(ctx, st, CreateComplete, "", func(s *Stack) { s.Outputs = outs })
	case UpdateInProgress:
		return e.move(ctx, st, UpdateCompleteCleanupInProgress, "", func(s *Stack) { s.Outputs = outs })
	default:
		return e.move(ctx, st, UpdateRollbackCleanup, "", func(s *Stack) { s.Outputs = outs })
	}
}

// move changes the stack's status, if it is still what this pass read,
// with an event.
func (e *Engine) move(ctx context.Context, st *Stack, status, reason string, change func(*Stack)) error {
	return e.CFN.Store.Transact(ctx, func(t *store.Txn) error {
		var cur Stack
		rev, err := e.CFN.Store.Get(ctx, stackKey(st.UUID), &cur)
		if err != nil {
			return err
		}
		if cur.Status != st.Status || cur.Op != st.Op {
			return nil // someone moved it first (DeleteStack): the next pass sees it
		}
		now := e.CFN.now()
		cur.Status, cur.StatusReason = status, reason
		if change != nil {
			change(&cur)
		}
		if cur.Op != st.Op {
			cur.OpStart = now
		}
		switch status {
		case DeleteComplete:
			cur.Deleted = now
			t.Delete(nameKey(cur.Region, cur.Name))
		case UpdateComplete, UpdateRollbackComplete:
			cur.Previous = nil
		}
		t.Unchanged(stackKey(cur.UUID), rev)
		t.Put(stackKey(cur.UUID), &cur)
		putEvent(t, stackEvent(&cur, status, reason, now))
		*st = cur
		return nil
	})
}
