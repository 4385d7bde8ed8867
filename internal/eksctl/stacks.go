package eksctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// Stacks deploys and removes eksctl's stacks and waits for them, printing
// progress as eksctl does.
type Stacks struct {
	CFN  CloudFormationAPI
	Log  *Logger
	Poll time.Duration
}

func (s *Stacks) poll() time.Duration {
	if s.Poll > 0 {
		return s.Poll
	}
	return defaultPoll
}

// Deploy creates a stack from a template and waits for CREATE_COMPLETE.
func (s *Stacks) Deploy(ctx context.Context, name string, t *Template, tags map[string]string) error {
	body, err := t.JSON()
	if err != nil {
		return fmt.Errorf("rendering template of stack %q: %w", name, err)
	}
	s.Log.Debug("stack %q template: %s", name, body)
	s.Log.Info("deploying stack %q", name)
	in := &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(body),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam},
		Tags:         stackTags(tags),
	}
	if _, err := s.CFN.CreateStack(ctx, in); err != nil {
		return fmt.Errorf("creating CloudFormation stack %q: %w", name, err)
	}
	_, err = s.Wait(ctx, name, "create")
	return err
}

// Delete deletes a stack; with wait, until it is gone.
func (s *Stacks) Delete(ctx context.Context, name string, wait bool) error {
	if _, err := s.CFN.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
		return fmt.Errorf("deleting CloudFormation stack %q: %w", name, err)
	}
	if !wait {
		s.Log.Info("will delete stack %q", name)
		return nil
	}
	s.Log.Info("waiting for stack %q to get deleted", name)
	_, err := s.Wait(ctx, name, "delete")
	return err
}

// Wait polls a stack until its operation ("create" or "delete") ends,
// streaming its events at debug verbosity, and on failure prints the
// reasons of its failed events as eksctl does.
func (s *Stacks) Wait(ctx context.Context, name, op string) (*cfntypes.Stack, error) {
	seen := map[string]bool{}
	var lastLine time.Time
	for {
		stack, err := s.Describe(ctx, name)
		if err != nil {
			return nil, err
		}
		if s.Log.Verbosity >= 4 {
			s.streamEvents(ctx, name, seen)
		}
		if stack == nil {
			if op == "delete" {
				return nil, nil
			}
			return nil, fmt.Errorf("stack %q does not exist", name)
		}
		status := string(stack.StackStatus)
		switch {
		case op == "create" && status == "CREATE_COMPLETE", op == "delete" && status == "DELETE_COMPLETE":
			return stack, nil
		case op == "delete" && status == "DELETE_FAILED",
			op == "create" && (strings.HasSuffix(status, "_FAILED") || strings.Contains(status, "ROLLBACK") || strings.HasPrefix(status, "DELETE")):
			reasons := s.failures(ctx, name)
			for _, r := range reasons {
				s.Log.Critical("%s", r)
			}
			return stack, &StackError{Stack: name, Status: status, Reasons: reasons}
		}
		// As eksctl's waiter: a line when the wait starts and about every
		// 20 seconds after, so a long wait says what it waits for.
		if lastLine.IsZero() || time.Since(lastLine) >= 20*time.Second {
			lastLine = time.Now()
			s.Log.Info("waiting for CloudFormation stack %q", name)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for CloudFormation stack %q: %w", name, ctx.Err())
		case <-time.After(s.poll()):
		}
	}
}

// StackError is a stack that ended in failure, with its failed events.
type StackError struct {
	Stack, Status string
	Reasons       []string
}

func (e *StackError) Error() string {
	return fmt.Sprintf("failed waiting for CloudFormation stack %q: ResourceNotReady: stack is %s", e.Stack, e.Status)
}

// Describe returns a stack, or nil when there is none by that name.
func (s *Stacks) Describe(ctx context.Context, name string) (*cfntypes.Stack, error) {
	out, err := s.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if notExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describing CloudFormation stack %q: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// notExist is CloudFormation's answer for a stack that is not there.
func notExist(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist")
}

// events are a stack's events, oldest first.
func (s *Stacks) events(ctx context.Context, name string) []cfntypes.StackEvent {
	var all []cfntypes.StackEvent
	var token *string
	for range 20 {
		out, err := s.CFN.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			break
		}
		all = append(all, out.StackEvents...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	slices.Reverse(all)
	return all
}

func (s *Stacks) streamEvents(ctx context.Context, name string, seen map[string]bool) {
	for _, e := range s.events(ctx, name) {
		id := aws.ToString(e.EventId)
		if seen[id] {
			continue
		}
		seen[id] = true
		s.Log.Debug("%s", describeEvent(e))
	}
}

func describeEvent(e cfntypes.StackEvent) string {
	msg := fmt.Sprintf("%s/%s: %s", aws.ToString(e.ResourceType), aws.ToString(e.LogicalResourceId), e.ResourceStatus)
	if r := aws.ToString(e.ResourceStatusReason); r != "" {
		msg += fmt.Sprintf(" – %q", r)
	}
	return msg
}

// failures are the failed events of a stack, in eksctl's words.
func (s *Stacks) failures(ctx context.Context, name string) []string {
	var out []string
	for _, e := range s.events(ctx, name) {
		if strings.HasSuffix(string(e.ResourceStatus), "_FAILED") {
			out = append(out, describeEvent(e))
		}
	}
	return out
}

// ListClusterStacks lists the stacks eksctl made for a cluster, found by
// eksctl's names for them ("eksctl-<cluster>-cluster", "-nodegroup-<ng>",
// "-addon-iamserviceaccount-<ns>-<name>", "-accessentry-<hash>"), sorted.
func (s *Stacks) ListClusterStacks(ctx context.Context, cluster string) ([]cfntypes.Stack, error) {
	var out []cfntypes.Stack
	var token *string
	for {
		page, err := s.CFN.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing CloudFormation stacks: %w", err)
		}
		for _, st := range page.Stacks {
			if st.StackStatus == cfntypes.StackStatusDeleteComplete {
				continue
			}
			if kind, _ := stackKind(cluster, aws.ToString(st.StackName)); kind != "" {
				out = append(out, st)
			}
		}
		if token = page.NextToken; token == nil {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].StackName) < aws.ToString(out[j].StackName) })
	return out, nil
}

// Outputs reads a finished stack's outputs by key.
func (s *Stacks) Outputs(ctx context.Context, name string) (map[string]string, error) {
	stack, err := s.Describe(ctx, name)
	if err != nil {
		return nil, err
	}
	if stack == nil {
		return nil, fmt.Errorf("stack %q does not exist", name)
	}
	return Outputs(stack), nil
}

// Outputs are a stack's outputs by key.
func Outputs(st *cfntypes.Stack) map[string]string {
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

func tagValue(tags []cfntypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func stackTags(tags map[string]string) []cfntypes.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]cfntypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, cfntypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// clusterStackTags are the tags eksctl puts on every stack of a cluster.
func clusterStackTags(cfg *ClusterConfig, extra map[string]string) map[string]string {
	tags := map[string]string{TagClusterName: cfg.Metadata.Name, TagClusterNameLegacy: cfg.Metadata.Name, TagVersion: Version}
	for k, v := range cfg.Metadata.Tags {
		tags[k] = v
	}
	for k, v := range extra {
		tags[k] = v
	}
	return tags
}
