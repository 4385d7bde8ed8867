package resources

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// What the EC2 and instance profile providers share: reading resolved
// properties (JSON values, where a template may give a number or a
// boolean as a string), tags, AWS error codes, and deletes that wait for
// dependencies to go.

// ec2Props reads a resource's resolved properties.
type ec2Props map[string]any

// str is a string property ("" when absent); numbers and booleans are
// given back as CloudFormation turns them into strings.
func (p ec2Props) str(name string) string {
	switch v := p[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// required is a string property the type cannot do without.
func (p ec2Props) required(typ, name string) (string, error) {
	v := p.str(name)
	if v == "" {
		return "", fmt.Errorf("%s: property %s is required", typ, name)
	}
	return v, nil
}

// boolean is a boolean property; set is false when absent.
func (p ec2Props) boolean(name string) (value, set bool, err error) {
	switch v := p[name].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	case string:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, false, fmt.Errorf("property %s: %q is not a boolean", name, v)
		}
		return b, true, nil
	}
	return false, false, fmt.Errorf("property %s: expected a boolean", name)
}

// integer is an integer property; set is false when absent.
func (p ec2Props) integer(name string) (value int32, set bool, err error) {
	switch v := p[name].(type) {
	case nil:
		return 0, false, nil
	case float64:
		return int32(v), true, nil
	case int:
		return int32(v), true, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return 0, false, fmt.Errorf("property %s: %q is not an integer", name, v)
		}
		return int32(n), true, nil
	}
	return 0, false, fmt.Errorf("property %s: expected an integer", name)
}

// strings is a list of strings property.
func (p ec2Props) strings(name string) ([]string, error) {
	switch v := p[name].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("property %s: expected a list of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("property %s: expected a list of strings", name)
}

// objects is a list of objects property (inline rules).
func (p ec2Props) objects(name string) ([]ec2Props, error) {
	switch v := p[name].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]ec2Props, 0, len(v))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("property %s: expected a list of objects", name)
			}
			out = append(out, ec2Props(m))
		}
		return out, nil
	}
	return nil, fmt.Errorf("property %s: expected a list of objects", name)
}

// unsupported refuses properties keks cannot honour, rather than
// silently making something other than the template asks for; a property
// set to its off value (false, "", []) asks for nothing and passes.
func (p ec2Props) unsupported(typ string, names ...string) error {
	for _, n := range names {
		switch v := p[n].(type) {
		case nil:
		case bool:
			if v {
				return fmt.Errorf("%s: keks does not support property %s", typ, n)
			}
		case string:
			if v != "" && v != "false" {
				return fmt.Errorf("%s: keks does not support property %s", typ, n)
			}
		case []any:
			if len(v) > 0 {
				return fmt.Errorf("%s: keks does not support property %s", typ, n)
			}
		default:
			return fmt.Errorf("%s: keks does not support property %s", typ, n)
		}
	}
	return nil
}

// ec2Changed reports whether any of the properties differ between two sets.
func ec2Changed(old, cur map[string]any, names ...string) bool {
	for _, n := range names {
		if fmt.Sprint(old[n]) != fmt.Sprint(cur[n]) {
			return true
		}
	}
	return false
}

// ec2CfnTags reads the Tags property: [{Key, Value}]. CloudFormation also
// puts its own aws:cloudformation:stack-name, stack-id and logical-id
// tags on what it makes; keks's EC2 refuses aws: keys from any caller
// (EC2 takes them only from CloudFormation itself, which is not a caller
// keks can tell apart), so those are left off.
func ec2CfnTags(props map[string]any) (map[string]string, error) {
	list, err := ec2Props(props).objects("Tags")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, t := range list {
		k := t.str("Key")
		if k == "" {
			return nil, fmt.Errorf("property Tags: every tag needs a Key")
		}
		out[k] = t.str("Value")
	}
	return out, nil
}

// ec2TagSpec is the TagSpecification of a create, or none without tags.
func ec2TagSpec(resourceType ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	if len(tags) == 0 {
		return nil
	}
	return []ec2types.TagSpecification{{ResourceType: resourceType, Tags: ec2Tags(tags)}}
}

func ec2Tags(tags map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// ec2Retag brings a resource's tags from an update's old Tags to its new
// ones: removed keys deleted, new and changed ones set.
func ec2Retag(ctx context.Context, c *ec2.Client, id string, oldProps, newProps map[string]any) error {
	old, err := ec2CfnTags(oldProps)
	if err != nil {
		return err
	}
	cur, err := ec2CfnTags(newProps)
	if err != nil {
		return err
	}
	var gone []ec2types.Tag
	for k := range old {
		if _, ok := cur[k]; !ok {
			gone = append(gone, ec2types.Tag{Key: aws.String(k)})
		}
	}
	if len(gone) > 0 {
		if _, err := c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id}, Tags: gone}); err != nil {
			return fmt.Errorf("untag %s: %w", id, err)
		}
	}
	set := map[string]string{}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			set[k] = v
		}
	}
	if len(set) > 0 {
		if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(set)}); err != nil {
			return fmt.Errorf("tag %s: %w", id, err)
		}
	}
	return nil
}

// ec2ErrorCode is an AWS error's code, or "".
func ec2ErrorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// ec2IsGone reports whether err says the resource does not exist (any of codes).
func ec2IsGone(err error, codes ...string) bool {
	return err != nil && slices.Contains(codes, ec2ErrorCode(err))
}

// ec2DependencyWait is how long a delete refused with DependencyViolation
// is tried again, as CloudFormation does while what depends on the
// resource (an instance, a NAT gateway) finishes going.
const ec2DependencyWait = 5 * time.Minute

// ec2DeleteWithRetry runs del; "already gone" (any of goneCodes) is done,
// DependencyViolation is tried again by Wait until ec2DependencyWait has
// passed since the delete began (kept in State).
func ec2DeleteWithRetry(req *resource.Request, del func() error, goneCodes ...string) (resource.Result, error) {
	return ec2DeleteRetrying(req, del, []string{"DependencyViolation"}, goneCodes...)
}

// ec2DeleteRetrying is ec2DeleteWithRetry for a type with other codes that
// mean "still in use" (retryCodes).
func ec2DeleteRetrying(req *resource.Request, del func() error, retryCodes []string, goneCodes ...string) (resource.Result, error) {
	err := del()
	switch {
	case err == nil || ec2IsGone(err, goneCodes...):
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
	case ec2IsGone(err, retryCodes...):
		started := req.State["deleteStarted"]
		if started == "" {
			started = time.Now().UTC().Format(time.RFC3339)
		}
		if t, perr := time.Parse(time.RFC3339, started); perr == nil && time.Since(t) > ec2DependencyWait {
			return resource.Result{}, err
		}
		state := maps.Clone(req.State)
		if state == nil {
			state = map[string]string{}
		}
		state["deleteStarted"] = started
		return resource.Result{PhysicalID: req.PhysicalID, State: state, Done: false}, nil
	}
	return resource.Result{}, err
}

// ec2PhysicalName is a name CloudFormation makes for a resource whose
// template gives none: <stack>-<logicalId>-<13 random upper-case letters
// and digits>, cut to max as CloudFormation cuts it (the stack and
// logical id parts shortened, the random part kept).
func ec2PhysicalName(stack, logicalID string, max int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var suffix strings.Builder
	for range 13 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		suffix.WriteByte(alphabet[n.Int64()])
	}
	room := max - suffix.Len() - 2
	if len(stack)+len(logicalID) > room {
		half := room / 2
		if len(stack) > half && len(logicalID) > room-half {
			stack, logicalID = stack[:half], logicalID[:room-half]
		} else if len(stack) > room-len(logicalID) {
			stack = stack[:room-len(logicalID)]
		} else {
			logicalID = logicalID[:room-len(stack)]
		}
	}
	return stack + "-" + logicalID + "-" + suffix.String()
}
