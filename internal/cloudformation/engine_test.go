package cloudformation

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

const chain = `
Resources:
  A:
    Type: Test::Thing
    Properties:
      Name: a
  B:
    Type: Test::Thing
    Properties:
      Parent: !Ref A
  C:
    Type: Test::Thing
    Properties:
      Parent: !GetAtt B.Arn
  D:
    Type: Test::Thing
    DependsOn: A
Outputs:
  CArn:
    Value: !GetAtt C.Arn
    Export:
      Name: c-arn
`

func create(t *testing.T, e *Engine, name, body string, caps ...string) *Stack {
	t.Helper()
	st, err := e.CFN.CreateStack(testCtx(t), CreateInput{Region: "us-east-1", Caller: testCaller, Name: name, TemplateBody: body, Capabilities: caps})
	must(t, err)
	return st
}

func status(t *testing.T, e *Engine, id string) *Stack {
	t.Helper()
	st, _, err := e.CFN.Find(testCtx(t), "us-east-1", id, false)
	must(t, err)
	return st
}

func index(log []string, entry string) int { return slices.Index(log, entry) }

func TestCreateDeleteInDependencyOrder(t *testing.T) {
	e, w := newTestEngine(t)
	ctx := testCtx(t)
	st := create(t, e, "chain", chain)
	_, err := e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "chain", TemplateBody: chain})
	wantCode(t, "same name", err, CodeAlreadyExists, "Stack [chain] already exists")
	settle(t, e)
	got := status(t, e, st.ID)
	if got.Status != CreateComplete || len(got.Outputs) != 1 || !strings.HasPrefix(got.Outputs[0].Value, "arn:fake:C-") {
		t.Fatalf("stack %s %v", got.Status, got.Outputs)
	}
	if !(index(w.log, "create A") < index(w.log, "create B") && index(w.log, "create B") < index(w.log, "create C") && index(w.log, "create A") < index(w.log, "create D")) {
		t.Errorf("create order %v", w.log)
	}
	rs, err := e.CFN.Resources(ctx, got)
	must(t, err)
	if len(rs) != 4 {
		t.Errorf("%d resources", len(rs))
	}
	// An export in use keeps its stack.
	user := create(t, e, "user", "Resources:\n  U:\n    Type: Test::Thing\n    Properties:\n      X: !ImportValue c-arn\n")
	settle(t, e)
	must(t, e.CFN.DeleteStack(ctx, "us-east-1", "chain", "", "", testCaller))
	settle(t, e)
	if got := status(t, e, st.ID); got.Status != DeleteFailed || got.StatusReason != "Export c-arn cannot be deleted as it is in use by user" {
		t.Fatalf("stack %s %q", got.Status, got.StatusReason)
	}
	must(t, e.CFN.DeleteStack(ctx, "us-east-1", user.ID, "", "", testCaller))
	settle(t, e)
	w.log = nil
	must(t, e.CFN.DeleteStack(ctx, "us-east-1", "chain", "", "", testCaller))
	settle(t, e)
	if !(index(w.log, "delete C") < index(w.log, "delete B") && index(w.log, "delete B") < index(w.log, "delete A") && index(w.log, "delete D") < index(w.log, "delete A")) {
		t.Errorf("delete order %v", w.log)
	}
	if len(w.live) != 0 {
		t.Errorf("left behind: %v", w.live)
	}
	if got := status(t, e, st.ID); got.Status != DeleteComplete {
		t.Errorf("deleted stack by id: %s", got.Status)
	}
	_, _, err = e.CFN.Find(ctx, "us-east-1", "chain", false)
	wantCode(t, "deleted stack by name", err, CodeValidation, "Stack with id chain does not exist")
	// The name is free again.
	create(t, e, "chain", chain)
}

func TestFailureRollsBack(t *testing.T) {
	e, w := newTestEngine(t)
	ctx := testCtx(t)
	w.failOn["C"] = "Invalid principal in policy"
	w.pending["D"] = 1000 // still creating when C fails: cancelled
	st := create(t, e, "broken", chain)
	settle(t, e)
	got := status(t, e, st.ID)
	if got.Status != RollbackComplete {
		t.Fatalf("stack %s %q", got.Status, got.StatusReason)
	}
	if len(w.live) != 0 {
		t.Errorf("left behind: %v", w.live)
	}
	evs, err := e.CFN.Events(ctx, got)
	must(t, err)
	var seen []string
	for _, ev := range evs {
		seen = append(seen, ev.LogicalID+" "+ev.Status+" "+ev.StatusReason)
	}
	for _, want := range []string{"C CREATE_FAILED Invalid principal in policy", "D CREATE_FAILED Resource creation cancelled",
		"broken ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [C]. Rollback requested by user.", "broken ROLLBACK_COMPLETE "} {
		if !slices.Contains(seen, want) {
			t.Errorf("no event %q in %q", want, seen)
		}
	}
	if evs[0].Status != RollbackComplete {
		t.Errorf("newest event %s", evs[0].Status)
	}
	// DO_NOTHING leaves what was made.
	_, err = e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "kept", TemplateBody: chain, OnFailure: "DO_NOTHING"})
	must(t, err)
	settle(t, e)
	if got := status(t, e, "kept"); got.Status != CreateFailed {
		t.Errorf("DO_NOTHING: %s", got.Status)
	}
}

func TestUpdateReplacesAddsAndRemoves(t *testing.T) {
	e, w := newTestEngine(t)
	ctx := testCtx(t)
	st := create(t, e, "up", chain)
	settle(t, e)
	oldA := ""
	rs, _ := e.CFN.Resources(ctx, st)
	for _, r := range rs {
		if r.LogicalID == "A" {
			oldA = r.PhysicalID
		}
	}
	_, err := e.CFN.UpdateStack(ctx, UpdateInput{Region: "us-east-1", Caller: testCaller, Name: "up", UsePreviousTemplate: true})
	wantCode(t, "same template", err, CodeValidation, "No updates are to be performed.")
	next := strings.Replace(chain, "Name: a", "Name: a2", 1)
	next = strings.Replace(next, "  D:\n    Type: Test::Thing\n    DependsOn: A\n", "  E:\n    Type: Test::Thing\n", 1)
	_, err = e.CFN.UpdateStack(ctx, UpdateInput{Region: "us-east-1", Caller: testCaller, Name: "up", TemplateBody: next})
	must(t, err)
	settle(t, e)
	got := status(t, e, st.ID)
	if got.Status != UpdateComplete {
		t.Fatalf("stack %s %q", got.Status, got.StatusReason)
	}
	if _, ok := w.live[oldA]; ok {
		t.Errorf("replaced A %s still there", oldA)
	}
	if index(w.log, "delete D") < 0 || index(w.log, "update B") < 0 {
		t.Errorf("log %v", w.log)
	}
	rs, _ = e.CFN.Resources(ctx, got)
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.LogicalID)
	}
	if !slices.Equal(ids, []string{"A", "B", "C", "E"}) {
		t.Errorf("resources %v", ids)
	}
	// A failing update rolls back to the previous template.
	w.failOn["F"] = "no"
	broken := next + "" // add a failing resource
	broken = strings.Replace(broken, "Outputs:", "  F:\n    Type: Test::Thing\nOutputs:", 1)
	_, err = e.CFN.UpdateStack(ctx, UpdateInput{Region: "us-east-1", Caller: testCaller, Name: "up", TemplateBody: broken})
	must(t, err)
	settle(t, e)
	if got := status(t, e, st.ID); got.Status != UpdateRollbackComplete || got.Template != next {
		t.Errorf("after a failed update: %s", got.Status)
	}
}

func TestEngineResumesAfterRestart(t *testing.T) {
	e, w := newTestEngine(t)
	ctx := testCtx(t)
	w.pending["A"] = 3
	st := create(t, e, "resume", chain)
	e.Pass(ctx)
	e.Pass(ctx)
	// A new engine (a restarted keks) over the same store carries on.
	e2 := NewEngine(e.CFN, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	settle(t, e2)
	if got := status(t, e2, st.ID); got.Status != CreateComplete {
		t.Fatalf("stack %s", got.Status)
	}
	n := 0
	for _, l := range w.log {
		if l == "create A" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("A created %d times", n)
	}
}

func TestCapabilitiesAndParameters(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := testCtx(t)
	body := "Parameters:\n  P:\n    Type: String\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Ref P\n"
	_, err := e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "caps", TemplateBody: body, Parameters: []ParameterInput{{Key: "P", Value: "x"}}})
	wantCode(t, "no capability", err, CodeInsufficientCaps, "Requires capabilities : [CAPABILITY_NAMED_IAM]")
	_, err = e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "caps", TemplateBody: body, Capabilities: []string{"CAPABILITY_NAMED_IAM"}})
	wantCode(t, "no value", err, CodeValidation, "Parameters: [P] must have values")
	_, err = e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "caps", TemplateBody: "Resources:\n  R:\n    Type: AWS::S3::Bucket\n"})
	wantCode(t, "unknown type", err, CodeValidation, "Template format error: Unrecognized resource types: [AWS::S3::Bucket]")
}

func TestClientRequestTokens(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := testCtx(t)
	in := CreateInput{Region: "us-east-1", Caller: testCaller, Name: "tok", TemplateBody: chain, Token: "t-1"}
	first, err := e.CFN.CreateStack(ctx, in)
	must(t, err)
	again, err := e.CFN.CreateStack(ctx, in)
	must(t, err)
	if again.ID != first.ID {
		t.Errorf("a retried create made %s", again.ID)
	}
	settle(t, e)
	err = e.CFN.DeleteStack(ctx, "us-east-1", "tok", "", "t-1", testCaller)
	wantCode(t, "delete with the create's token", err, CodeTokenAlreadyExists, "")
	must(t, e.CFN.DeleteStack(ctx, "us-east-1", "tok", "", "t-2", testCaller))
	must(t, e.CFN.DeleteStack(ctx, "us-east-1", "tok", "", "t-2", testCaller))
	settle(t, e)
}

func TestTimeoutFailsTheStack(t *testing.T) {
	e, w := newTestEngine(t)
	ctx := testCtx(t)
	w.pending["A"] = 1000
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.CFN.Now = func() time.Time { return now }
	st, err := e.CFN.CreateStack(ctx, CreateInput{Region: "us-east-1", Caller: testCaller, Name: "slow", TemplateBody: chain, Timeout: 1})
	must(t, err)
	e.Pass(ctx)
	now = now.Add(2 * time.Minute)
	settle(t, e)
	got := status(t, e, st.ID)
	evs, _ := e.CFN.Events(ctx, got)
	if !slices.ContainsFunc(evs, func(ev Event) bool {
		return ev.StatusReason == "Stack creation time exceeded the specified timeout. Rollback requested by user."
	}) {
		t.Error("no event says the stack timed out")
	}
	if got.Status != RollbackComplete || len(w.live) != 0 {
		t.Errorf("stack %s %q, live %v", got.Status, got.StatusReason, w.live)
	}
}
