package autoscaling

import (
	"encoding/base64"

	"github.com/keksdev/keks/internal/awserr"
)

// MaxRecordsLimit bounds a page, as Auto Scaling's
// Describe* calls do (their defaults are the wire layer's).
const MaxRecordsLimit = 100

// page cuts items (already in their order) after the item a token names:
// the token is the last item's key of the previous page, so a page goes on
// where it stopped even when items came or went in between. after says
// whether a key sorts after the token's.
func page[T any](items []T, maxRecords int, token string, keyOf func(T) string, after func(key, token string) bool) ([]T, string, error) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) == 0 {
			return nil, "", awserr.Errorf(CodeInvalidNextToken, "The token '%s' is invalid.", token)
		}
		start = len(items)
		for i, it := range items {
			if after(keyOf(it), string(raw)) {
				start = i
				break
			}
		}
	}
	rest := items[start:]
	if len(rest) <= maxRecords {
		return rest, "", nil
	}
	out := rest[:maxRecords]
	return out, base64.RawURLEncoding.EncodeToString([]byte(keyOf(out[len(out)-1]))), nil
}

func ascending(key, token string) bool { return key > token }

// PageGroups cuts a page of Groups' list (by name).
func PageGroups(all []Group, maxRecords int, token string) ([]Group, string, error) {
	return page(all, maxRecords, token, func(g Group) string { return g.Name }, ascending)
}

// GroupInstance is an instance with its group (DescribeAutoScalingInstances).
type GroupInstance struct {
	Group    *Group
	Instance Instance
}

// PageInstances cuts a page of group instances (by group, then id).
func PageInstances(all []GroupInstance, maxRecords int, token string) ([]GroupInstance, string, error) {
	return page(all, maxRecords, token, func(gi GroupInstance) string { return gi.Group.Name + "\x00" + gi.Instance.ID }, ascending)
}
