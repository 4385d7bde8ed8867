package eks

import "encoding/json"

// authModeOrder is the one way a cluster's authentication mode may move:
// each step adds the access entry API or drops aws-auth, never back.
var authModeOrder = map[string]int{AuthModeConfigMap: 0, AuthModeAPIAndConfigMap: 1, AuthModeAPI: 2}

// authModeUpdate checks a change of authentication mode and describes it
// as the AccessConfigUpdate EKS records.
func authModeUpdate(cluster, from, to string) (Update, error) {
	toRank, ok := authModeOrder[to]
	if !ok {
		return Update{}, invalidParam(cluster, "1 validation error detected: Value '%s' at 'accessConfig.authenticationMode' failed to satisfy constraint: Member must satisfy enum value set: [API, API_AND_CONFIG_MAP, CONFIG_MAP]", to)
	}
	// Only the next step: CONFIG_MAP goes to API by way of API_AND_CONFIG_MAP,
	// so that aws-auth's mappings can move to entries in between.
	if toRank != authModeOrder[from]+1 {
		return Update{}, invalidParam(cluster, "Unsupported authentication mode update from %s to %s", from, to)
	}
	// EKS reports the value JSON-encoded, quotes included.
	value, _ := json.Marshal(to)
	return Update{Type: "AccessConfigUpdate", Params: []UpdateParam{{Type: "AuthenticationMode", Value: string(value)}}}, nil
}
