package kmsapi

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

// checks describes a KMS call for the front door's authorizer, as the
// Service Authorization Reference lists each action: kms:<Operation> on
// the key's ARN (an alias or key id is resolved to it), with the key's
// policy as the resource policy that must let the caller in (KMS
// evaluates key policies first), the key's tags for aws:ResourceTag, and
// the request's condition keys (encryption context, the alias used,
// tags, the key's spec...). Actions that take no key (CreateKey, ListKeys,
// ListAliases, GenerateRandom) are on "*"; so is a key that cannot be
// found, so that a caller without rights learns nothing of it.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op, ok := awsproto.TargetOperation(r, targetPrefix)
	describe, known := operationChecks[op]
	if !ok || !known {
		return nil // not a KMS operation keks serves: the handler says so
	}
	return describe(&kmsCall{h: h, ctx: r.Context(), c: c, sc: scopeOf(c), req: readChecked(c.Body)})
}

// operationChecks describes each operation keks serves.
var operationChecks = map[string]func(*kmsCall) []awsproto.Check{
	"CreateKey":                       (*kmsCall).createKey,
	"DescribeKey":                     onNamedKey("kms:DescribeKey", "KeyId"),
	"ListKeys":                        noKey("kms:ListKeys"),
	"EnableKey":                       onKeyByID("kms:EnableKey"),
	"DisableKey":                      onKeyByID("kms:DisableKey"),
	"ScheduleKeyDeletion":             (*kmsCall).scheduleKeyDeletion,
	"CancelKeyDeletion":               onKeyByID("kms:CancelKeyDeletion"),
	"UpdateKeyDescription":            onKeyByID("kms:UpdateKeyDescription"),
	"GetKeyRotationStatus":            onKeyByID("kms:GetKeyRotationStatus"),
	"Encrypt":                         (*kmsCall).encrypt,
	"Decrypt":                         (*kmsCall).decrypt,
	"ReEncrypt":                       (*kmsCall).reEncrypt,
	"GenerateDataKey":                 onDataKey("kms:GenerateDataKey"),
	"GenerateDataKeyWithoutPlaintext": onDataKey("kms:GenerateDataKeyWithoutPlaintext"),
	"GenerateRandom":                  noKey("kms:GenerateRandom"),
	"CreateAlias":                     (*kmsCall).createAlias,
	"DeleteAlias":                     (*kmsCall).deleteAlias,
	"UpdateAlias":                     (*kmsCall).updateAlias,
	"ListAliases":                     noKey("kms:ListAliases"),
	"GetKeyPolicy":                    onKeyByID("kms:GetKeyPolicy"),
	"PutKeyPolicy":                    (*kmsCall).putKeyPolicy,
	"ListKeyPolicies":                 onKeyByID("kms:ListKeyPolicies"),
	"TagResource":                     (*kmsCall).tagResource,
	"UntagResource":                   (*kmsCall).untagResource,
	"ListResourceTags":                onKeyByID("kms:ListResourceTags"),
}

// checkedRequest is what authorization reads of a request: each member
// on its own, so that one member of the wrong type hides only itself.
type checkedRequest map[string]json.RawMessage

func readChecked(body []byte) checkedRequest {
	var req checkedRequest
	if json.Unmarshal(body, &req) != nil {
		return nil // a body that does not decode names nothing: "*"
	}
	return req
}

// member decodes one member into v, reporting whether it was there and
// of v's type.
func (req checkedRequest) member(name string, v any) bool {
	raw, ok := req[name]
	return ok && json.Unmarshal(raw, v) == nil
}

func (req checkedRequest) str(name string) string {
	var s string
	req.member(name, &s)
	return s
}

func (req checkedRequest) strMap(name string) map[string]string {
	var m map[string]string
	req.member(name, &m)
	return m
}

// kmsCall is one KMS request being described.
type kmsCall struct {
	h   *Handler
	ctx context.Context
	c   *awsproto.Call
	sc  kms.Scope
	req checkedRequest
}

// noKey is an action that takes no resource.
func noKey(action string) func(*kmsCall) []awsproto.Check {
	return func(k *kmsCall) []awsproto.Check {
		return []awsproto.Check{{Action: action, Resource: "*", Context: k.callerContext()}}
	}
}

// onNamedKey is an action on the key a member names by key id, key ARN,
// alias name or alias ARN.
func onNamedKey(action, member string) func(*kmsCall) []awsproto.Check {
	return func(k *kmsCall) []awsproto.Check {
		return []awsproto.Check{k.onKey(action, k.resolve(k.req.str(member), true))}
	}
}

// onKeyByID is an action on the key KeyId names by key id or key ARN (the
// operations that manage a key take no alias).
func onKeyByID(action string) func(*kmsCall) []awsproto.Check {
	return func(k *kmsCall) []awsproto.Check {
		return []awsproto.Check{k.onKey(action, k.resolve(k.req.str("KeyId"), false))}
	}
}

// resolve finds the key a member names; nil when it names none.
func (k *kmsCall) resolve(keyID string, aliasesAllowed bool) *kms.Resolved {
	if k.h.KMS == nil || keyID == "" {
		return nil
	}
	if !aliasesAllowed && (strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/")) {
		return nil
	}
	r, err := k.h.KMS.Resolve(k.ctx, k.sc, keyID)
	if err != nil {
		return nil
	}
	return r
}

// onKey is an action on a resolved key ("*" when there is none): its
// ARN, policy, tags and the condition keys of the key resource type.
func (k *kmsCall) onKey(action string, r *kms.Resolved) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: "*", Context: k.callerContext()}
	if r == nil {
		return ch
	}
	key := r.Key
	ch.Resource, ch.ResourcePolicy = key.ARN, key.Policy
	tags := maps.Clone(key.Tags)
	ch.ResourceTags = func(context.Context) map[string]string { return tags }
	ch.Context["kms:KeyOrigin"] = []string{key.Origin}
	ch.Context["kms:KeySpec"] = []string{key.KeySpec}
	ch.Context["kms:KeyUsage"] = []string{key.KeyUsage}
	ch.Context["kms:MultiRegion"] = []string{"false"}
	if len(key.Aliases) > 0 {
		ch.Context["kms:ResourceAliases"] = slices.Clone(key.Aliases)
	}
	if r.Alias != "" {
		ch.Context["kms:RequestAlias"] = []string{r.Alias}
	}
	return ch
}

// callerContext holds the condition keys every KMS call has.
func (k *kmsCall) callerContext() map[string][]string {
	return map[string][]string{"kms:CallerAccount": {k.c.Principal.Account}}
}

// with adds condition keys to a check.
func with(ch awsproto.Check, keys map[string][]string) awsproto.Check {
	if ch.Context == nil {
		ch.Context = map[string][]string{}
	}
	maps.Copy(ch.Context, keys)
	return ch
}

// createKey: kms:CreateKey on "*", with the key it would make; tags on
// the request need kms:TagResource too, as KMS asks.
func (k *kmsCall) createKey() []awsproto.Check {
	keys := map[string][]string{
		"kms:KeySpec":     {orDefault(firstOf(k.req.str("KeySpec"), k.req.str("CustomerMasterKeySpec")), kms.SpecSymmetricDefault)},
		"kms:KeyUsage":    {orDefault(k.req.str("KeyUsage"), kms.UsageEncryptDecrypt)},
		"kms:KeyOrigin":   {orDefault(k.req.str("Origin"), kms.OriginAWSKMS)},
		"kms:MultiRegion": {strconv.FormatBool(k.boolMember("MultiRegion"))},
	}
	if _, ok := k.req["BypassPolicyLockoutSafetyCheck"]; ok {
		keys["kms:BypassPolicyLockoutSafetyCheck"] = []string{strconv.FormatBool(k.boolMember("BypassPolicyLockoutSafetyCheck"))}
	}
	tags := k.tags()
	maps.Copy(keys, awsproto.TagContext(tags))
	checks := []awsproto.Check{with(awsproto.Check{Action: "kms:CreateKey", Resource: "*", Context: k.callerContext()}, keys)}
	if len(tags) > 0 {
		checks = append(checks, with(awsproto.Check{Action: "kms:TagResource", Resource: "*", Context: k.callerContext()}, awsproto.TagContext(tags)))
	}
	return checks
}

func (k *kmsCall) scheduleKeyDeletion() []awsproto.Check {
	ch := k.onKey("kms:ScheduleKeyDeletion", k.resolve(k.req.str("KeyId"), false))
	var days int
	if k.req.member("PendingWindowInDays", &days) {
		ch.Context["kms:ScheduleKeyDeletionPendingWindowInDays"] = []string{strconv.Itoa(days)}
	}
	return []awsproto.Check{ch}
}

func (k *kmsCall) putKeyPolicy() []awsproto.Check {
	ch := k.onKey("kms:PutKeyPolicy", k.resolve(k.req.str("KeyId"), false))
	ch.Context["kms:BypassPolicyLockoutSafetyCheck"] = []string{strconv.FormatBool(k.boolMember("BypassPolicyLockoutSafetyCheck"))}
	return []awsproto.Check{ch}
}

func (k *kmsCall) encrypt() []awsproto.Check {
	ch := k.onKey("kms:Encrypt", k.resolve(k.req.str("KeyId"), true))
	return []awsproto.Check{with(ch, k.cryptoContext("EncryptionContext", "EncryptionAlgorithm"))}
}

// onDataKey is a data key's generation: on the key KeyId names, with the
// request's encryption context.
func onDataKey(action string) func(*kmsCall) []awsproto.Check {
	return func(k *kmsCall) []awsproto.Check {
		ch := k.onKey(action, k.resolve(k.req.str("KeyId"), true))
		return []awsproto.Check{with(ch, encryptionContext(k.req.strMap("EncryptionContext")))}
	}
}

// decrypt is on the key KeyId names or, without one, on the key the
// ciphertext names.
func (k *kmsCall) decrypt() []awsproto.Check {
	ch := k.onKey("kms:Decrypt", k.ciphertextKey("KeyId"))
	return []awsproto.Check{with(ch, k.cryptoContext("EncryptionContext", "EncryptionAlgorithm"))}
}

// reEncrypt is kms:ReEncryptFrom on the source key and kms:ReEncryptTo on
// the destination, each with its own encryption context.
func (k *kmsCall) reEncrypt() []awsproto.Check {
	src := k.ciphertextKey("SourceKeyId")
	dst := k.resolve(k.req.str("DestinationKeyId"), true)
	same := map[string][]string{"kms:ReEncryptOnSameKey": {strconv.FormatBool(src != nil && dst != nil && src.Key.ID == dst.Key.ID)}}
	from := with(k.onKey("kms:ReEncryptFrom", src), k.cryptoContext("SourceEncryptionContext", "SourceEncryptionAlgorithm"))
	to := with(k.onKey("kms:ReEncryptTo", dst), k.cryptoContext("DestinationEncryptionContext", "DestinationEncryptionAlgorithm"))
	return []awsproto.Check{with(from, same), with(to, same)}
}

// ciphertextKey is the key a member names or, when it is absent, the key
// the request's CiphertextBlob names.
func (k *kmsCall) ciphertextKey(member string) *kms.Resolved {
	if keyID := k.req.str(member); keyID != "" {
		return k.resolve(keyID, true)
	}
	var blob []byte
	if k.h.KMS == nil || !k.req.member("CiphertextBlob", &blob) {
		return nil
	}
	key, err := k.h.KMS.CiphertextKey(k.ctx, k.sc, blob)
	if err != nil {
		return nil
	}
	return &kms.Resolved{Key: key}
}

// cryptoContext is a cryptographic request's condition keys: its
// encryption context and algorithm.
func (k *kmsCall) cryptoContext(contextMember, algorithmMember string) map[string][]string {
	keys := encryptionContext(k.req.strMap(contextMember))
	if keys == nil {
		keys = map[string][]string{}
	}
	keys["kms:EncryptionAlgorithm"] = []string{orDefault(k.req.str(algorithmMember), kms.AlgorithmSymmetric)}
	return keys
}

// encryptionContext is kms:EncryptionContext:<key> for each pair and
// kms:EncryptionContextKeys.
func encryptionContext(ec map[string]string) map[string][]string {
	if len(ec) == 0 {
		return nil
	}
	out := map[string][]string{"kms:EncryptionContextKeys": slices.Sorted(maps.Keys(ec))}
	for key, v := range ec {
		out["kms:EncryptionContext:"+key] = []string{v}
	}
	return out
}

// createAlias needs kms:CreateAlias on the alias and on the key, as KMS
// documents (the first from IAM policies, the second from the key policy).
func (k *kmsCall) createAlias() []awsproto.Check {
	return []awsproto.Check{
		k.onAlias("kms:CreateAlias"),
		k.onKey("kms:CreateAlias", k.resolve(k.req.str("TargetKeyId"), false)),
	}
}

// deleteAlias needs kms:DeleteAlias on the alias and on its key.
func (k *kmsCall) deleteAlias() []awsproto.Check {
	return []awsproto.Check{
		k.onAlias("kms:DeleteAlias"),
		k.onKey("kms:DeleteAlias", k.aliasKey()),
	}
}

// updateAlias needs kms:UpdateAlias on the alias, on the key it names now
// and on the key it is to name.
func (k *kmsCall) updateAlias() []awsproto.Check {
	return []awsproto.Check{
		k.onAlias("kms:UpdateAlias"),
		k.onKey("kms:UpdateAlias", k.aliasKey()),
		k.onKey("kms:UpdateAlias", k.resolve(k.req.str("TargetKeyId"), false)),
	}
}

// onAlias is an action on the alias AliasName names: its ARN, or "*" for
// a name that is no alias's.
func (k *kmsCall) onAlias(action string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: "*", Context: k.callerContext()}
	if name := k.req.str("AliasName"); strings.HasPrefix(name, "alias/") && !strings.ContainsAny(name, "*? \t\n") {
		ch.Resource = k.sc.AliasARN(name)
	}
	return ch
}

// aliasKey is the key the alias AliasName names now; the key check is on
// the key itself, so the alias is not a request alias.
func (k *kmsCall) aliasKey() *kms.Resolved {
	name := k.req.str("AliasName")
	if !strings.HasPrefix(name, "alias/") {
		return nil
	}
	r := k.resolve(name, true)
	if r != nil {
		r.Alias = ""
	}
	return r
}

func (k *kmsCall) tagResource() []awsproto.Check {
	ch := k.onKey("kms:TagResource", k.resolve(k.req.str("KeyId"), false))
	return []awsproto.Check{with(ch, awsproto.TagContext(k.tags()))}
}

func (k *kmsCall) untagResource() []awsproto.Check {
	ch := k.onKey("kms:UntagResource", k.resolve(k.req.str("KeyId"), false))
	var keys []string
	if k.req.member("TagKeys", &keys) && len(keys) > 0 {
		ch.Context["aws:TagKeys"] = keys
	}
	return []awsproto.Check{ch}
}

// tags are the request's Tags (the last value of a repeated key).
func (k *kmsCall) tags() map[string]string {
	var list []tag
	k.req.member("Tags", &list)
	out := make(map[string]string, len(list))
	for _, t := range list {
		out[t.TagKey] = t.TagValue
	}
	return out
}

func (k *kmsCall) boolMember(name string) bool {
	var b bool
	k.req.member(name, &b)
	return b
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
