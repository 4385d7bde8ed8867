package iam

import "encoding/json"

func jsonString(raw []byte, out *string) bool {
	return len(raw) > 0 && json.Unmarshal(raw, out) == nil
}

func jsonObject(raw []byte, out *map[string][]byte) bool {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return false
	}
	*out = map[string][]byte{}
	for k, v := range m {
		(*out)[k] = v
	}
	return true
}
