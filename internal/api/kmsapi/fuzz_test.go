package kmsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keksdev/keks/internal/kms"
)

// fuzzRegion holds the fuzzer's fixture: a key, its alias and a ciphertext.
const fuzzRegion = "fuzz-1"

// Signing modes of a fuzzed request.
const (
	modeUnsigned = iota
	modeSigned
	modeWrongSecret
	modeCount
)

var fuzzFixture struct {
	once sync.Once
	vars *strings.Replacer
	err  error
}

// fuzzVars replaces ${KEY}, ${KEYARN}, ${ALIAS} and ${BLOB} in fuzzed
// bodies with the fixture's, so that seeds reach past "not found".
func fuzzVars(t testing.TB) *strings.Replacer {
	fuzzFixture.once.Do(func() {
		ctx := context.Background()
		sc := kms.Scope{Region: fuzzRegion, Account: testAccount}
		k, err := front.model.CreateKey(ctx, sc, kms.CreateKeyInput{Description: "fuzz"})
		if err != nil {
			fuzzFixture.err = err
			return
		}
		if err := front.model.CreateAlias(ctx, sc, "alias/fuzz", k.ID); err != nil {
			fuzzFixture.err = err
			return
		}
		ct, err := front.model.Encrypt(ctx, sc, kms.EncryptInput{KeyID: k.ID, Plaintext: []byte("fuzz"), Context: map[string]string{"f": "z"}})
		if err != nil {
			fuzzFixture.err = err
			return
		}
		fuzzFixture.vars = strings.NewReplacer("${KEY}", k.ID, "${KEYARN}", k.ARN, "${ALIAS}", "alias/fuzz",
			"${BLOB}", base64.StdEncoding.EncodeToString(ct.Blob))
	})
	if fuzzFixture.err != nil {
		t.Fatal(fuzzFixture.err)
	}
	return fuzzFixture.vars
}

// kmsSeeds are one request per operation, each of which succeeds, in an
// order in which they all can.
var kmsSeeds = []struct{ op, body string }{
	{"CreateKey", `{"Description":"seed","Tags":[{"TagKey":"t","TagValue":"v"}]}`},
	{"DescribeKey", `{"KeyId":"${ALIAS}"}`},
	{"ListKeys", `{"Limit":2}`},
	{"Encrypt", `{"KeyId":"${KEY}","Plaintext":"aGVsbG8=","EncryptionContext":{"a":"b"}}`},
	{"Decrypt", `{"CiphertextBlob":"${BLOB}","EncryptionContext":{"f":"z"}}`},
	{"ReEncrypt", `{"CiphertextBlob":"${BLOB}","SourceEncryptionContext":{"f":"z"},"DestinationKeyId":"${KEYARN}"}`},
	{"GenerateDataKey", `{"KeyId":"${KEY}","KeySpec":"AES_128"}`},
	{"GenerateDataKeyWithoutPlaintext", `{"KeyId":"${KEY}","NumberOfBytes":64}`},
	{"GenerateRandom", `{"NumberOfBytes":8}`},
	{"CreateAlias", `{"AliasName":"alias/fuzz-seed","TargetKeyId":"${KEY}"}`},
	{"UpdateAlias", `{"AliasName":"alias/fuzz-seed","TargetKeyId":"${KEYARN}"}`},
	{"ListAliases", `{"KeyId":"${KEY}","Limit":1}`},
	{"DeleteAlias", `{"AliasName":"alias/fuzz-seed"}`},
	{"DisableKey", `{"KeyId":"${KEY}"}`},
	{"EnableKey", `{"KeyId":"${KEYARN}"}`},
	{"UpdateKeyDescription", `{"KeyId":"${KEY}","Description":"fuzzed"}`},
	{"GetKeyRotationStatus", `{"KeyId":"${KEY}"}`},
	{"GetKeyPolicy", `{"KeyId":"${KEY}","PolicyName":"default"}`},
	{"PutKeyPolicy", `{"KeyId":"${KEY}","Policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}"}`},
	{"ListKeyPolicies", `{"KeyId":"${KEY}"}`},
	{"TagResource", `{"KeyId":"${KEY}","Tags":[{"TagKey":"k","TagValue":"v"}]}`},
	{"UntagResource", `{"KeyId":"${KEY}","TagKeys":["k"]}`},
	{"ListResourceTags", `{"KeyId":"${KEY}"}`},
	{"ScheduleKeyDeletion", `{"KeyId":"${KEY}","PendingWindowInDays":7}`},
	{"CancelKeyDeletion", `{"KeyId":"${KEY}"}`},
	{"EnableKey", `{"KeyId":"${KEY}"}`}, // cancelling left the key disabled
}

// fuzzSend signs (or not) and serves one KMS request in-process.
func fuzzSend(t testing.TB, op uint8, body []byte, mode uint8) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://kms.test/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if int(op) < len(kmsSeeds) {
		req.Header.Set("X-Amz-Target", targetPrefix+kmsSeeds[op].op)
	} else if op%2 == 0 {
		req.Header.Set("X-Amz-Target", targetPrefix+"CreateGrant") // a KMS operation keks does not serve
	}
	if mode%modeCount != modeUnsigned {
		secret := testSecret
		if mode%modeCount == modeWrongSecret {
			secret = strings.Repeat("x", len(secret))
		}
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kms", fuzzRegion, time.Now()); err != nil {
			t.Skipf("the SDK cannot sign this request: %v", err)
		}
	}
	rec := httptest.NewRecorder()
	front.router.ServeHTTP(rec, req)
	return rec
}

func storeRevision(t testing.TB) int64 {
	t.Helper()
	resp, err := front.store.Client().Get(context.Background(), "", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}

// fuzzCheck holds an answer to keks's invariants: never a 5xx, nothing
// served without a valid signature, an AWS JSON 1.1 error (__type and
// message) for every refusal, and nothing stored by a refused call.
func fuzzCheck(t testing.TB, op uint8, body []byte, mode uint8) *httptest.ResponseRecorder {
	t.Helper()
	before := storeRevision(t)
	rec := fuzzSend(t, op, body, mode)
	describe := func() string {
		return fmt.Sprintf("op %d mode %d body %q\nanswered %s %s", op, mode%modeCount, body, rec.Result().Status, rec.Body)
	}
	if rec.Code >= 500 {
		t.Fatalf("server error: %s", describe())
	}
	var answer map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("answer is not a JSON object (%v): %s", err, describe())
	}
	if rec.Code < 300 {
		if mode%modeCount != modeSigned {
			t.Fatalf("a request without a valid signature was served: %s", describe())
		}
		return rec
	}
	// Unsigned and without a target, nothing names KMS: the front door
	// answers in its default shape, which needs no __type.
	unmarked := mode%modeCount == modeUnsigned && int(op) >= len(kmsSeeds) && op%2 == 1
	if typ, _ := answer["__type"].(string); !unmarked && (typ == "" || rec.Header().Get("x-amzn-ErrorType") != typ) {
		t.Fatalf("error without __type and x-amzn-ErrorType: %s", describe())
	}
	if msg, _ := answer["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", describe())
	}
	if after := storeRevision(t); after != before {
		t.Fatalf("a refused call changed the store (revision %d -> %d): %s", before, after, describe())
	}
	return rec
}

func FuzzKMS(f *testing.F) {
	for i, s := range kmsSeeds {
		f.Add(uint8(i), []byte(s.body), uint8(modeSigned))
	}
	f.Add(uint8(len(kmsSeeds)), []byte(`{}`), uint8(modeSigned))
	f.Add(uint8(len(kmsSeeds)+1), []byte(`{}`), uint8(modeSigned))
	f.Add(uint8(1), []byte(`{"KeyId":"${KEY}"}`), uint8(modeUnsigned))
	f.Add(uint8(4), []byte(`{"CiphertextBlob":"${BLOB}"}`), uint8(modeWrongSecret))
	f.Add(uint8(4), []byte(`{"CiphertextBlob":"AQ=="}`), uint8(modeSigned))
	f.Add(uint8(3), []byte(`{"KeyId":"${KEY}","Plaintext":"not base64!"}`), uint8(modeSigned))
	f.Add(uint8(2), []byte(`{"Limit":"many","Marker":""}`), uint8(modeSigned))
	f.Add(uint8(9), []byte(`{"AliasName":"alias/aws/x","TargetKeyId":"${ALIAS}"}`), uint8(modeSigned))
	f.Fuzz(func(t *testing.T, op uint8, body []byte, mode uint8) {
		fuzzCheck(t, op, []byte(fuzzVars(t).Replace(string(body))), mode)
	})
}

// TestKMSFuzzSeedsSucceed keeps the seeds meaningful: each reaches its
// operation and succeeds.
func TestKMSFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	for i, s := range kmsSeeds {
		if rec := fuzzCheck(t, uint8(i), []byte(vars.Replace(s.body)), modeSigned); rec.Code != http.StatusOK {
			t.Errorf("%s seed: %d %s", s.op, rec.Code, rec.Body)
		}
	}
}
