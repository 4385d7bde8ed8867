package autoscalingapi

import (
	"strconv"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

func invalid(format string, args ...any) error {
	return awserr.Errorf(autoscaling.CodeValidation, format, args...)
}

func required(c *awsproto.Call, name string) (string, error) {
	return c.Form.Get(name), c.Required(autoscaling.CodeValidation, name)
}

// groupName reads AutoScalingGroupName, which Auto Scaling bounds at 255.
func groupName(c *awsproto.Call) (string, error) {
	v, err := required(c, "AutoScalingGroupName")
	if err == nil && len(v) > 255 {
		err = invalid("1 validation error detected: Value '%s' at 'autoScalingGroupName' failed to satisfy constraint: Member must have length less than or equal to 255", v)
	}
	return v, err
}

// intParam reads an optional integer; nil when absent.
func intParam(c *awsproto.Call, name string) (*int, error) {
	v := c.Form.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1<<31 || n > 1<<31-1 {
		return nil, invalid("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", v, awsproto.MemberName(name))
	}
	return &n, nil
}

func boolParam(c *awsproto.Call, name string) (*bool, error) {
	return c.OptionalBool(autoscaling.CodeValidation, name)
}

// maxRecords reads MaxRecords: def when absent, 1 to 100 otherwise.
func maxRecords(c *awsproto.Call, def int) (int, error) {
	n, err := intParam(c, "MaxRecords")
	if err != nil || n == nil {
		return def, err
	}
	if *n < 1 || *n > autoscaling.MaxRecordsLimit {
		return 0, invalid("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and %d", *n, autoscaling.MaxRecordsLimit)
	}
	return *n, nil
}

// filter is one Filters.member.N.
type filter struct {
	name   string
	values []string
}

func filters(c *awsproto.Call) []filter {
	var out []filter
	for i := 1; ; i++ {
		p := "Filters.member." + strconv.Itoa(i) + "."
		name, ok := c.Form[p+"Name"]
		if !ok {
			return out
		}
		out = append(out, filter{name: name[0], values: c.Members(p + "Values")})
	}
}

// tagChanges reads Tags.member.N of CreateOrUpdateTags and DeleteTags.
func tagChanges(c *awsproto.Call) []autoscaling.TagChange {
	var out []autoscaling.TagChange
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i) + "."
		k, ok := c.Form[p+"Key"]
		if !ok {
			return out
		}
		typ := c.Form.Get(p + "ResourceType")
		if typ == "" {
			typ = autoscaling.ResourceTypeGroup // the only type there is
		}
		out = append(out, autoscaling.TagChange{Group: c.Form.Get(p + "ResourceId"), ResourceType: typ, Key: k[0], Value: c.Form.Get(p + "Value")})
	}
}
