package eksctl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Task is a step of a plan: a leaf that runs, or sub-tasks run in order
// or in parallel, as eksctl's task trees.
type Task struct {
	Description string
	Run         func(ctx context.Context) error
	Sub         []*Task
	Parallel    bool
}

// Describe is the plan in eksctl's words ("2 sequential tasks: { ... }").
func (t *Task) Describe() string { return t.describe(false) }

func (t *Task) describe(nested bool) string {
	if t.Run != nil {
		return t.Description
	}
	switch len(t.Sub) {
	case 0:
		return "no tasks"
	case 1:
		return t.Sub[0].describe(nested)
	}
	kind, noun := "sequential", "tasks"
	if t.Parallel {
		kind = "parallel"
	}
	if nested {
		noun = "sub-tasks"
	}
	parts := make([]string, len(t.Sub))
	for i, s := range t.Sub {
		parts[i] = s.describe(true)
	}
	return fmt.Sprintf("%d %s %s: { %s }", len(t.Sub), kind, noun, strings.Join(parts, ", "))
}

// Leaves are the plan's steps in the order a sequential run starts them.
func (t *Task) Leaves() []string {
	if t.Run != nil {
		return []string{t.Description}
	}
	var out []string
	for _, s := range t.Sub {
		out = append(out, s.Leaves()...)
	}
	return out
}

// Execute runs the plan; a sequential list stops at its first error, a
// parallel one waits for all and joins their errors.
func (t *Task) Execute(ctx context.Context) error { return t.execute(ctx, nil) }

// ExecuteTimed runs the plan as Execute does and says how long each step
// took once it is done, so a long create shows where its time went.
func (t *Task) ExecuteTimed(ctx context.Context, log *Logger) error {
	return t.execute(ctx, func(step string, took time.Duration) {
		log.Success("%s (took %s)", step, took.Round(100*time.Millisecond))
	})
}

func (t *Task) execute(ctx context.Context, done func(step string, took time.Duration)) error {
	if t.Run != nil {
		start := time.Now()
		if err := t.Run(ctx); err != nil {
			return fmt.Errorf("%s: %w", t.Description, err)
		}
		if done != nil {
			done(t.Description, time.Since(start))
		}
		return nil
	}
	if !t.Parallel {
		for _, s := range t.Sub {
			if err := s.execute(ctx, done); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(t.Sub))
	var wg sync.WaitGroup
	for i, s := range t.Sub {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.execute(ctx, done)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Empty reports whether the plan has nothing to do.
func (t *Task) Empty() bool { return len(t.Leaves()) == 0 }

func leaf(description string, run func(ctx context.Context) error) *Task {
	return &Task{Description: description, Run: run}
}

func sequential(tasks ...*Task) *Task { return &Task{Sub: compact(tasks)} }

func parallel(tasks ...*Task) *Task { return &Task{Sub: compact(tasks), Parallel: true} }

func compact(tasks []*Task) []*Task {
	var out []*Task
	for _, t := range tasks {
		if t != nil && !t.Empty() {
			out = append(out, t)
		}
	}
	return out
}
