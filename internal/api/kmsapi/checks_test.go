package kmsapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

// checksFor describes one request as the front door would ask.
func checksFor(h *Handler, region, op, body string) []awsproto.Check {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if op != "" {
		r.Header.Set("X-Amz-Target", targetPrefix+op)
	}
	c := &awsproto.Call{Region: region, Principal: awsproto.Principal{Account: testAccount}, Body: []byte(body)}
	return h.checks(r, c)
}

// checksFixture is a key with a policy, tags and an alias, in a region of
// the test's own.
func checksFixture(t *testing.T) (*Handler, kms.Scope, *kms.Key) {
	t.Helper()
	regionSeq.Lock()
	regionSeq.n++
	sc := kms.Scope{Region: "checks-" + string(rune('a'+regionSeq.n%26)) + string(rune('a'+regionSeq.n/26)) + "-1", Account: testAccount}
	regionSeq.Unlock()
	ctx := context.Background()
	k, err := front.model.CreateKey(ctx, sc, kms.CreateKeyInput{Tags: []kms.Tag{{Key: "team", Value: "blue"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := front.model.CreateAlias(ctx, sc, "alias/fixture", k.ID); err != nil {
		t.Fatal(err)
	}
	k, err = front.model.DescribeKey(ctx, sc, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{KMS: front.model}, sc, k
}

func TestChecksOnKeys(t *testing.T) {
	h, sc, k := checksFixture(t)
	for _, keyID := range []string{k.ID, k.ARN, "alias/fixture", sc.AliasARN("alias/fixture")} {
		ch := checksFor(h, sc.Region, "DescribeKey", `{"KeyId":"`+keyID+`"}`)
		if len(ch) != 1 || ch[0].Action != "kms:DescribeKey" || ch[0].Resource != k.ARN || ch[0].ResourcePolicy != k.Policy {
			t.Fatalf("DescribeKey %s: %+v", keyID, ch)
		}
		if tags := ch[0].ResourceTags(context.Background()); tags["team"] != "blue" {
			t.Fatalf("resource tags %v", tags)
		}
		ctx := ch[0].Context
		if ctx["kms:CallerAccount"][0] != testAccount || ctx["kms:KeySpec"][0] != "SYMMETRIC_DEFAULT" || ctx["kms:KeyOrigin"][0] != "AWS_KMS" ||
			!slices.Equal(ctx["kms:ResourceAliases"], []string{"alias/fixture"}) {
			t.Fatalf("context %v", ctx)
		}
		if wantAlias := strings.Contains(keyID, "alias/"); wantAlias != (len(ctx["kms:RequestAlias"]) == 1) {
			t.Fatalf("kms:RequestAlias for %s: %v", keyID, ctx["kms:RequestAlias"])
		}
	}
	// Managing operations take no aliases; what is not found is "*".
	for _, body := range []string{`{"KeyId":"alias/fixture"}`, `{"KeyId":"11111111-2222-4333-8444-555555555555"}`, `{}`, `not json`, `{"KeyId":5}`} {
		ch := checksFor(h, sc.Region, "DisableKey", body)
		if len(ch) != 1 || ch[0].Action != "kms:DisableKey" || ch[0].Resource != "*" || ch[0].ResourcePolicy != "" {
			t.Fatalf("DisableKey %s: %+v", body, ch)
		}
	}
	// A member of the wrong type hides only itself.
	ch := checksFor(h, sc.Region, "ScheduleKeyDeletion", `{"KeyId":"`+k.ID+`","PendingWindowInDays":"x"}`)
	if ch[0].Resource != k.ARN || ch[0].Context["kms:ScheduleKeyDeletionPendingWindowInDays"] != nil {
		t.Fatalf("ScheduleKeyDeletion %+v", ch)
	}
	ch = checksFor(h, sc.Region, "ScheduleKeyDeletion", `{"KeyId":"`+k.ID+`","PendingWindowInDays":9}`)
	if ch[0].Context["kms:ScheduleKeyDeletionPendingWindowInDays"][0] != "9" {
		t.Fatalf("ScheduleKeyDeletion %+v", ch)
	}
	// Keys are regional.
	if ch := checksFor(h, "elsewhere-1", "DescribeKey", `{"KeyId":"`+k.ID+`"}`); ch[0].Resource != "*" {
		t.Fatalf("another region's key: %+v", ch)
	}
}

func TestChecksWithoutKeys(t *testing.T) {
	h, sc, _ := checksFixture(t)
	for op, action := range map[string]string{"ListKeys": "kms:ListKeys", "ListAliases": "kms:ListAliases", "GenerateRandom": "kms:GenerateRandom"} {
		if ch := checksFor(h, sc.Region, op, `{}`); len(ch) != 1 || ch[0].Action != action || ch[0].Resource != "*" {
			t.Fatalf("%s: %+v", op, ch)
		}
	}
	ch := checksFor(h, sc.Region, "CreateKey", `{"Tags":[{"TagKey":"env","TagValue":"prod"}],"BypassPolicyLockoutSafetyCheck":true}`)
	if len(ch) != 2 || ch[0].Action != "kms:CreateKey" || ch[0].Resource != "*" || ch[1].Action != "kms:TagResource" {
		t.Fatalf("CreateKey %+v", ch)
	}
	if c := ch[0].Context; c["aws:RequestTag/env"][0] != "prod" || c["aws:TagKeys"][0] != "env" || c["kms:KeySpec"][0] != "SYMMETRIC_DEFAULT" ||
		c["kms:BypassPolicyLockoutSafetyCheck"][0] != "true" || c["kms:MultiRegion"][0] != "false" {
		t.Fatalf("CreateKey context %v", c)
	}
	if ch := checksFor(h, sc.Region, "CreateKey", `{}`); len(ch) != 1 {
		t.Fatalf("CreateKey without tags: %+v", ch)
	}
	// Not a KMS operation keks serves: the handler refuses it.
	if ch := checksFor(h, sc.Region, "CreateGrant", `{}`); ch != nil {
		t.Fatalf("CreateGrant: %+v", ch)
	}
	if ch := checksFor(h, sc.Region, "", `{}`); ch != nil {
		t.Fatalf("no target: %+v", ch)
	}
	// Without a model, everything is "*" and nothing fails.
	if ch := checksFor(&Handler{}, sc.Region, "Decrypt", `{"CiphertextBlob":"AAAA"}`); len(ch) != 1 || ch[0].Resource != "*" {
		t.Fatalf("Decrypt without a model: %+v", ch)
	}
}

func TestChecksOfCryptoAndAliases(t *testing.T) {
	h, sc, k := checksFixture(t)
	ctx := context.Background()
	other, err := front.model.CreateKey(ctx, sc, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := front.model.Encrypt(ctx, sc, kms.EncryptInput{KeyID: k.ID, Plaintext: []byte("x"), Context: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	blob := base64.StdEncoding.EncodeToString(ct.Blob)

	ch := checksFor(h, sc.Region, "Decrypt", `{"CiphertextBlob":"`+blob+`","EncryptionContext":{"a":"1","b":"2"}}`)
	if len(ch) != 1 || ch[0].Resource != k.ARN || ch[0].Context["kms:EncryptionContext:a"][0] != "1" ||
		!slices.Equal(ch[0].Context["kms:EncryptionContextKeys"], []string{"a", "b"}) || ch[0].Context["kms:EncryptionAlgorithm"][0] != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Decrypt by its blob: %+v", ch)
	}
	ch = checksFor(h, sc.Region, "Decrypt", `{"CiphertextBlob":"`+blob+`","KeyId":"`+other.ARN+`"}`)
	if ch[0].Resource != other.ARN {
		t.Fatalf("Decrypt naming a key: %+v", ch)
	}
	ch = checksFor(h, sc.Region, "Decrypt", `{"CiphertextBlob":"!!"}`)
	if ch[0].Resource != "*" {
		t.Fatalf("Decrypt of a blob that is not base64: %+v", ch)
	}

	ch = checksFor(h, sc.Region, "ReEncrypt", `{"CiphertextBlob":"`+blob+`","DestinationKeyId":"`+other.ID+`","DestinationEncryptionContext":{"d":"4"}}`)
	if len(ch) != 2 || ch[0].Action != "kms:ReEncryptFrom" || ch[0].Resource != k.ARN || ch[1].Action != "kms:ReEncryptTo" || ch[1].Resource != other.ARN ||
		ch[1].Context["kms:EncryptionContext:d"][0] != "4" || ch[0].Context["kms:EncryptionContext:d"] != nil || ch[0].Context["kms:ReEncryptOnSameKey"][0] != "false" {
		t.Fatalf("ReEncrypt %+v", ch)
	}

	ch = checksFor(h, sc.Region, "CreateAlias", `{"AliasName":"alias/new","TargetKeyId":"`+other.ID+`"}`)
	if len(ch) != 2 || ch[0].Resource != sc.AliasARN("alias/new") || ch[0].ResourcePolicy != "" || ch[1].Resource != other.ARN || ch[1].ResourcePolicy == "" {
		t.Fatalf("CreateAlias %+v", ch)
	}
	ch = checksFor(h, sc.Region, "UpdateAlias", `{"AliasName":"alias/fixture","TargetKeyId":"`+other.ARN+`"}`)
	if len(ch) != 3 || ch[0].Resource != sc.AliasARN("alias/fixture") || ch[1].Resource != k.ARN || ch[2].Resource != other.ARN ||
		ch[1].Context["kms:RequestAlias"] != nil {
		t.Fatalf("UpdateAlias %+v", ch)
	}
	ch = checksFor(h, sc.Region, "DeleteAlias", `{"AliasName":"alias/fixture"}`)
	if len(ch) != 2 || ch[0].Action != "kms:DeleteAlias" || ch[1].Resource != k.ARN {
		t.Fatalf("DeleteAlias %+v", ch)
	}
	ch = checksFor(h, sc.Region, "DeleteAlias", `{"AliasName":"nope"}`)
	if len(ch) != 2 || ch[0].Resource != "*" || ch[1].Resource != "*" {
		t.Fatalf("DeleteAlias of no alias %+v", ch)
	}

	ch = checksFor(h, sc.Region, "UntagResource", `{"KeyId":"`+k.ID+`","TagKeys":["team"]}`)
	if ch[0].Resource != k.ARN || !slices.Equal(ch[0].Context["aws:TagKeys"], []string{"team"}) {
		t.Fatalf("UntagResource %+v", ch)
	}
	ch = checksFor(h, sc.Region, "TagResource", `{"KeyId":"`+k.ARN+`","Tags":[{"TagKey":"x","TagValue":"y"}]}`)
	if ch[0].Resource != k.ARN || ch[0].Context["aws:RequestTag/x"][0] != "y" {
		t.Fatalf("TagResource %+v", ch)
	}
	ch = checksFor(h, sc.Region, "GenerateDataKey", `{"KeyId":"alias/fixture","EncryptionContext":{"p":"q"}}`)
	if ch[0].Resource != k.ARN || ch[0].Context["kms:EncryptionContext:p"][0] != "q" {
		t.Fatalf("GenerateDataKey %+v", ch)
	}
}

// TestEveryOperationIsDescribed keeps the two tables together: an
// operation served but not described would be refused whole by the
// authorizer, or served without authorization.
func TestEveryOperationIsDescribed(t *testing.T) {
	for op := range operations {
		if _, ok := operationChecks[op]; !ok {
			t.Errorf("%s is served but has no checks", op)
		}
	}
	for op := range operationChecks {
		if _, ok := operations[op]; !ok {
			t.Errorf("%s has checks but is not served", op)
		}
	}
}
