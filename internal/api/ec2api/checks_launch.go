package ec2api

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
)

// createLaunchTemplate acts on the new template, tagged as its
// TagSpecification (launch-template) says.
func (e *ec2Call) createLaunchTemplate() []awsproto.Check {
	return e.creating("CreateLaunchTemplate", "launch-template", nil)
}

// onLaunchTemplateNamed is an action on the template a call names by id or
// name, with its tags; an unknown one is "*", which the handler refuses.
func onLaunchTemplateNamed(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		id, name := templateRef(e.c, "")
		return []awsproto.Check{e.onLaunchTemplate(action, id, name)}
	}
}

func (e *ec2Call) onLaunchTemplate(action, id, name string) awsproto.Check {
	if e.h.EC2 == nil {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	lt, err := e.h.EC2.FindLaunchTemplate(e.ctx, e.c.Region, id, name)
	if err != nil {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	tags := lt.Tags
	return awsproto.Check{Action: action, Resource: e.arnOf("launch-template", lt.ID),
		ResourceTags: func(context.Context) map[string]string { return tags }}
}

// launchWithTemplate is RunInstances' checks of a call as its template
// completes it, and ec2:RunInstances on the template itself.
func (e *ec2Call) launchWithTemplate() []awsproto.Check {
	id, name := templateRef(e.c, launchTemplateParam)
	if id == "" && name == "" {
		return e.runInstances()
	}
	if e.h.EC2 == nil {
		return []awsproto.Check{e.onLaunchTemplate("ec2:RunInstances", id, name)}
	}
	merged, _, err := e.h.withLaunchTemplate(e.ctx, e.c)
	if err != nil {
		// The handler refuses the call; the template is all it names.
		return []awsproto.Check{e.onLaunchTemplate("ec2:RunInstances", id, name)}
	}
	inner := &ec2Call{h: e.h, ctx: e.ctx, c: merged}
	return append(inner.runInstances(), e.onLaunchTemplate("ec2:RunInstances", id, name))
}

// createFleet needs ec2:CreateFleet on the fleet (with its tags), and what
// each launch it may make needs: RunInstances' checks of every override,
// each distinct check once.
func (e *ec2Call) createFleet() []awsproto.Check {
	checks := e.creating("CreateFleet", "fleet", nil)
	overrides, err := fleetOverrides(e.c)
	if err != nil {
		return checks
	}
	seen := map[string]bool{}
	for _, o := range overrides {
		one := &ec2Call{h: e.h, ctx: e.ctx, c: o.launchCall(e.c, 1)}
		for _, ch := range one.launchWithTemplate() {
			key := checkKey(ch)
			if !seen[key] {
				seen[key] = true
				checks = append(checks, ch)
			}
		}
	}
	return checks
}

// checkKey identifies a check by its action, resource and context.
func checkKey(ch awsproto.Check) string {
	keys := make([]string, 0, len(ch.Context))
	for k, v := range ch.Context {
		keys = append(keys, k+"="+strings.Join(v, ","))
	}
	slices.Sort(keys)
	return fmt.Sprintf("%s %s %s", ch.Action, ch.Resource, strings.Join(keys, ";"))
}
