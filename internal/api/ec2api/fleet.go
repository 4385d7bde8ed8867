package ec2api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// fleetOverride is one launch CreateFleet may try: a launch template
// config's template with one of its overrides.
type fleetOverride struct {
	config   int // LaunchTemplateConfigs.N
	template map[string]string
	fields   map[string]string // InstanceType, SubnetId, AvailabilityZone, ImageId, Priority...
}

// fleetOverrideFields are the override fields keks lays on a launch.
var fleetOverrideFields = []string{"InstanceType", "SubnetId", "AvailabilityZone", "AvailabilityZoneId", "ImageId", "Priority", "WeightedCapacity", "MaxPrice"}

// maxFleetOverrides bounds how many launches one CreateFleet tries (EC2
// takes at most 300 overrides across its configs).
const maxFleetOverrides = 300

// fleetOverrides reads LaunchTemplateConfigs.N: each config's template
// spec and its overrides (a config without overrides is one launch as the
// template says).
func fleetOverrides(c *awsproto.Call) ([]fleetOverride, error) {
	var out []fleetOverride
	for n := 1; ; n++ {
		prefix := fmt.Sprintf("LaunchTemplateConfigs.%d.", n)
		spec := map[string]string{}
		for _, f := range []string{"LaunchTemplateId", "LaunchTemplateName", "Version"} {
			if v := c.Form.Get(prefix + "LaunchTemplateSpecification." + f); v != "" {
				spec[f] = v
			}
		}
		hasOverrides := c.Form.Get(prefix+"Overrides.1.InstanceType") != "" || c.Form.Get(prefix+"Overrides.1.SubnetId") != "" ||
			c.Form.Get(prefix+"Overrides.1.AvailabilityZone") != "" || c.Form.Get(prefix+"Overrides.1.ImageId") != ""
		if len(spec) == 0 && !hasOverrides {
			break
		}
		if spec["LaunchTemplateId"] == "" && spec["LaunchTemplateName"] == "" {
			return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter LaunchTemplateConfigs.%d.LaunchTemplateSpecification.LaunchTemplateId or LaunchTemplateName", n)
		}
		if spec["Version"] == "" {
			return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter LaunchTemplateConfigs.%d.LaunchTemplateSpecification.Version", n)
		}
		added := 0
		for m := 1; ; m++ {
			op := fmt.Sprintf("%sOverrides.%d.", prefix, m)
			fields := map[string]string{}
			for _, f := range fleetOverrideFields {
				if v := c.Form.Get(op + f); v != "" {
					fields[f] = v
				}
			}
			if len(fields) == 0 {
				break
			}
			out = append(out, fleetOverride{config: n, template: spec, fields: fields})
			added++
		}
		if added == 0 {
			out = append(out, fleetOverride{config: n, template: spec, fields: map[string]string{}})
		}
		if len(out) > maxFleetOverrides {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "The fleet request contains more than %d launch template overrides.", maxFleetOverrides)
		}
	}
	if len(out) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter LaunchTemplateConfigs")
	}
	return out, nil
}

// fleetRequest is the part of CreateFleet the launches share.
type fleetRequest struct {
	total     int
	lifecycle string // on-demand or spot
	overrides []fleetOverride
}

func readFleet(c *awsproto.Call) (*fleetRequest, error) {
	switch typ := c.Form.Get("Type"); typ {
	case "instant":
	case "", "maintain", "request":
		return nil, awserr.Errorf(ec2.CodeUnsupportedOperation, "keks runs only instant fleets (Type=instant); a fleet of type %s is not supported.", map[bool]string{true: "maintain", false: typ}[typ == ""])
	default:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter type is invalid. Valid values are: instant, maintain, request", typ)
	}
	total, ok, err := intParam(c, "TargetCapacitySpecification.TotalTargetCapacity")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity")
	}
	if total < 1 || total > maxLaunch {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%d) for parameter totalTargetCapacity is invalid. keks launches between 1 and %d instances in one fleet.", total, maxLaunch)
	}
	lifecycle := "on-demand"
	switch v := c.Form.Get("TargetCapacitySpecification.DefaultTargetCapacityType"); v {
	case "", "on-demand":
	case "spot":
		lifecycle = "spot"
	default:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter defaultTargetCapacityType is invalid. Valid values are: spot, on-demand, capacity-block", v)
	}
	overrides, err := fleetOverrides(c)
	if err != nil {
		return nil, err
	}
	strategy := c.Form.Get("OnDemandOptions.AllocationStrategy")
	if lifecycle == "spot" {
		strategy = c.Form.Get("SpotOptions.AllocationStrategy")
	}
	orderOverrides(overrides, strategy)
	return &fleetRequest{total: total, lifecycle: lifecycle, overrides: overrides}, nil
}

// orderOverrides puts the overrides in the order a fleet tries them:
// "prioritized" by Priority (lowest first), any other strategy cheapest
// first by keks's on-demand prices; ties keep the request's order.
func orderOverrides(o []fleetOverride, strategy string) {
	key := func(f fleetOverride) float64 {
		if strategy == "prioritized" {
			if p, err := strconv.ParseFloat(f.fields["Priority"], 64); err == nil {
				return p
			}
			return 1e9 // no priority: last
		}
		if t, ok := ec2.InstanceTypes[f.fields["InstanceType"]]; ok {
			return t.OnDemandPrice
		}
		return 1e9
	}
	slices.SortStableFunc(o, func(a, b fleetOverride) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
}

// launchCall is the RunInstances call one override makes: its template,
// the override's fields, and the fleet's tags for what a launch makes.
func (o fleetOverride) launchCall(c *awsproto.Call, count int) *awsproto.Call {
	form := url.Values{}
	for k, v := range o.template {
		form.Set(launchTemplateParam+k, v)
	}
	for _, f := range []string{"InstanceType", "SubnetId", "ImageId"} {
		if v := o.fields[f]; v != "" {
			form.Set(f, v)
		}
	}
	if az := o.fields["AvailabilityZone"]; az != "" {
		form.Set("Placement.AvailabilityZone", az)
	}
	form.Set("MinCount", "1")
	form.Set("MaxCount", strconv.Itoa(count))
	for i, spec := range tagSpecLists(flatten(c.Form), launchTagTypes) {
		for k, v := range spec {
			form.Set(fmt.Sprintf("TagSpecification.%d.%s", i+1, k), v)
		}
	}
	out := *c
	out.Form = form
	return &out
}

// overridesNode is LaunchTemplateAndOverrides as CreateFleet answers it.
func (o fleetOverride) node() awsproto.Node {
	spec := awsproto.El("launchTemplateSpecification")
	for _, f := range []string{"LaunchTemplateId", "LaunchTemplateName", "Version"} {
		if v := o.template[f]; v != "" {
			spec.Kids = append(spec.Kids, awsproto.Tx(awsproto.MemberName(f), v))
		}
	}
	over := awsproto.El("overrides")
	for _, f := range fleetOverrideFields {
		if v := o.fields[f]; v != "" {
			over.Kids = append(over.Kids, awsproto.Tx(awsproto.MemberName(f), v))
		}
	}
	return awsproto.El("launchTemplateAndOverrides", spec, over)
}

func newFleetID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("fleet-%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// createFleet launches an instant fleet: the overrides in order until the
// target is met. A launch that fails (no capacity, no addresses, a bad
// override) is an entry of the answer's errors, and the next is tried, as
// EC2 does; the call fails only on a malformed request.
func (h *Handler) createFleet(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fleet, err := readFleet(c)
	if err != nil {
		return nil, err
	}
	if _, err := tagSpecs(c, "fleet", launchTagTypes...); err != nil {
		return nil, err
	}
	var instances, failures []awsproto.Node
	launched := 0
	for _, o := range fleet.overrides {
		if launched >= fleet.total {
			break
		}
		got, err := h.launchOverride(r.Context(), c, o, fleet.total-launched, fleet.lifecycle)
		if err != nil {
			var aerr *awserr.Error
			if !errors.As(err, &aerr) {
				return nil, err // keks's own failure, not the launch's
			}
			failures = append(failures, awsproto.El("", o.node(), awsproto.Tx("lifecycle", fleet.lifecycle),
				awsproto.Tx("errorCode", aerr.Code), awsproto.Tx("errorMessage", aerr.Message)))
			continue
		}
		launched += len(got)
		ids := make([]string, 0, len(got))
		for _, in := range got {
			ids = append(ids, in.ID)
		}
		instances = append(instances, awsproto.El("", o.node(), awsproto.Tx("lifecycle", fleet.lifecycle), items("instanceIds", ids...),
			awsproto.Tx("instanceType", got[0].InstanceType), awsproto.Tx("subnetId", got[0].SubnetID),
			awsproto.Tx("availabilityZone", got[0].Zone), awsproto.Tx("availabilityZoneId", zoneID(got[0].Region, got[0].Zone))))
	}
	return []awsproto.Node{awsproto.Tx("fleetId", newFleetID()), awsproto.List("errorSet", "item", failures),
		awsproto.List("fleetInstanceSet", "item", instances)}, nil
}

// launchOverride starts up to count instances as one override says.
func (h *Handler) launchOverride(ctx context.Context, c *awsproto.Call, o fleetOverride, count int, lifecycle string) ([]ec2.Instance, error) {
	lc, lt, err := h.withLaunchTemplate(ctx, o.launchCall(c, count))
	if err != nil {
		return nil, err
	}
	if lt != nil {
		// The answer names the template as the request did, and by id.
		o.template["LaunchTemplateId"] = lt.ID
	}
	if az := o.fields["AvailabilityZone"]; az != "" && lc.Form.Get("SubnetId") != "" {
		if sn, err := h.EC2.GetSubnet(ctx, lc.Form.Get("SubnetId")); err == nil && sn.AvailabilityZone != az {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "The subnet %s is in %s, not in the override's availability zone %s.", sn.ID, sn.AvailabilityZone, az)
		}
	}
	if lc.Form.Get("SubnetId") == "" && lc.Form.Get("NetworkInterface.1.SubnetId") == "" {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "keks needs a SubnetId in each override of a fleet (or in its launch template)")
	}
	life := ""
	if lifecycle == "spot" {
		life = ec2.LifecycleSpot
	}
	return h.launch(ctx, lc, 1, count, life)
}
