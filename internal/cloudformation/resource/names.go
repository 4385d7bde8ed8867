package resource

import (
	"crypto/sha256"
	"fmt"
)

// GeneratedName is the name CloudFormation gives a resource whose
// template names none: <stack>-<logicalId>-<13 upper-case letters and
// digits>, the stack and logical id cut short so that it fits in max. The
// suffix derives from the stack, the resource and the operation's token,
// so a retry of one operation (after a restart) names the same resource,
// and a replacement gets a new name.
func (r *Request) GeneratedName(max int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s", r.StackID, r.LogicalID, r.ClientToken))
	suffix := make([]byte, 13)
	for i := range suffix {
		suffix[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	stack, logical := r.StackName, r.LogicalID
	// Room for the two dashes and the suffix; the stack and logical id
	// share what remains, the logical id cut first as CloudFormation does.
	room := max - 15
	if room < 2 {
		return string(suffix)[:min(max, 13)]
	}
	for len(stack)+len(logical) > room {
		if len(logical) > len(stack) || len(logical) > room/2 {
			logical = logical[:len(logical)-1]
		} else {
			stack = stack[:len(stack)-1]
		}
	}
	return stack + "-" + logical + "-" + string(suffix)
}
