package awsproto

import (
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// Members reads a Query-protocol list: Name.member.1, Name.member.2...
func (c *Call) Members(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.Form[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// MemberTags reads a Query-protocol tag list, Name.member.N.Key and
// .Value; nil when there are none.
func (c *Call) MemberTags(name string) map[string]string {
	var out map[string]string
	for i := 1; ; i++ {
		prefix := name + ".member." + strconv.Itoa(i) + "."
		k, ok := c.Form[prefix+"Key"]
		if !ok {
			return out
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k[0]] = c.Form.Get(prefix + "Value")
	}
}

// MemberName is a Query parameter's name as the service's model spells
// the member, and as its validation messages and XML answers name it:
// AutoScalingGroupName is autoScalingGroupName.
func MemberName(param string) string {
	if param == "" {
		return param
	}
	return strings.ToLower(param[:1]) + param[1:]
}

// Required refuses a Query call that lacks any of the named parameters,
// with the service's validation code and the validator's wording.
func (c *Call) Required(code string, names ...string) error {
	for _, n := range names {
		if c.Form.Get(n) == "" {
			return awserr.Errorf(code, "%s", awserr.NullMessage(MemberName(n)))
		}
	}
	return nil
}

// OptionalBool reads a boolean Query parameter: nil when absent, and
// anything but true or false refused with the service's validation code.
func (c *Call) OptionalBool(code, name string) (*bool, error) {
	switch v := c.Form.Get(name); v {
	case "":
		return nil, nil
	case "true", "false":
		b := v == "true"
		return &b, nil
	default:
		return nil, awserr.Errorf(code, "%s", awserr.ConstraintMessage(v, MemberName(name), "Member must be a boolean"))
	}
}
