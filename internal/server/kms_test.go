package server_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/api/kmsapi"
	"github.com/keksdev/keks/internal/authz"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/kms"
)

// The KMS tests serve KMS over the package server's store and IAM, from a
// front door of their own (so they do not depend on how server.Run wires
// KMS): one without an authorizer, for the wire layer, and one with
// keks's authorizer, for key policies. Their keys live in a region no
// other test uses, under a master key of their own.
const kmsTestRegion = "eu-west-3"

var kmsFront struct {
	once       sync.Once
	model      *kms.Service
	open       *httptest.Server // no authorizer
	authorized *httptest.Server // keks's authorizer, as server.Run has it
}

func kmsServers(t *testing.T) (open, authorized *httptest.Server, model *kms.Service) {
	t.Helper()
	kmsFront.once.Do(func() {
		m := testServer.models
		master := make([]byte, kms.MasterKeySize)
		_, _ = rand.Read(master)
		kmsFront.model = &kms.Service{Store: m.IAM.Store, MasterKey: master}
		serve := func(az awsproto.Authorizer) *httptest.Server {
			return httptest.NewServer(&awsproto.Router{Keys: m.IAM, Authz: az, Now: time.Now,
				Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
				Services: map[string]*awsproto.Service{"kms": (&kmsapi.Handler{KMS: kmsFront.model}).Service()}})
		}
		kmsFront.open = serve(nil)
		kmsFront.authorized = serve(&authz.Authorizer{IAM: m.IAM, Now: time.Now})
	})
	return kmsFront.open, kmsFront.authorized, kmsFront.model
}

// kmsClient is an SDK KMS client of srv with the admin user's key.
func kmsClient(srv *httptest.Server) *awskms.Client {
	cfg := awsConfig()
	cfg.Region, cfg.BaseEndpoint, cfg.HTTPClient = kmsTestRegion, aws.String(srv.URL), srv.Client()
	return awskms.NewFromConfig(cfg)
}

func TestKMSThroughSDK(t *testing.T) {
	open, _, _ := kmsServers(t)
	c := kmsClient(open)
	ctx := context.Background()
	created, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("server test")})
	if err != nil {
		t.Fatal(err)
	}
	keyID, keyARN := aws.ToString(created.KeyMetadata.KeyId), aws.ToString(created.KeyMetadata.Arn)
	account := testServer.models.Bootstrap.AccountID
	if keyARN != "arn:aws:kms:"+kmsTestRegion+":"+account+":key/"+keyID {
		t.Fatalf("key ARN %s", keyARN)
	}
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/server-test"), TargetKeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"service": "keks"}
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String("alias/server-test"), Plaintext: []byte("top secret"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || string(dec.Plaintext) != "top secret" || aws.ToString(dec.KeyId) != keyARN {
		t.Fatalf("decrypt: %v", err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	var invalid *kmstypes.InvalidCiphertextException
	if !errors.As(err, &invalid) {
		t.Fatalf("decrypt without the context: %v", err)
	}
	dk, err := c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: ec})
	if err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("data key: %v", err)
	}
	list, err := c.ListKeys(ctx, &awskms.ListKeysInput{})
	if err != nil || !kmsListed(list.Keys, keyID) {
		t.Fatalf("ListKeys: %v", err)
	}
	aliases, err := c.ListAliases(ctx, &awskms.ListAliasesInput{KeyId: aws.String(keyID)})
	if err != nil || len(aliases.Aliases) != 1 || aws.ToString(aliases.Aliases[0].AliasName) != "alias/server-test" {
		t.Fatalf("ListAliases: %+v %v", aliases, err)
	}

	if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	var disabled *kmstypes.DisabledException
	if !errors.As(err, &disabled) {
		t.Fatalf("decrypt with a disabled key: %v", err)
	}
	if _, err := c.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x")})
	var pending *kmstypes.KMSInvalidStateException
	if !errors.As(err, &pending) {
		t.Fatalf("encrypt with a key pending deletion: %v", err)
	}
	if _, err := c.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
}

// TestKMSKeyPolicyDecides: through keks's authorizer, the key policy has
// the first word. The default policy hands the decision to the account's
// IAM policies (the admin user's allow everything); a policy that names
// neither the account nor the admin refuses even the admin.
func TestKMSKeyPolicyDecides(t *testing.T) {
	_, authorized, model := kmsServers(t)
	c := kmsClient(authorized)
	ctx := context.Background()
	sc := kms.Scope{Region: kmsTestRegion, Account: testServer.models.Bootstrap.AccountID}
	k, err := model.CreateKey(ctx, sc, kms.CreateKeyInput{Description: "policy test"})
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func() error {
		_, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(k.ARN), Plaintext: []byte("x")})
		return err
	}
	if err := encrypt(); err != nil {
		t.Fatalf("the default key policy with the admin's policies: %v", err)
	}
	someoneElse := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + sc.Account +
		`:user/someone-else"},"Action":"kms:*","Resource":"*"}]}`
	if err := model.PutKeyPolicy(ctx, sc, k.ID, "", someoneElse); err != nil {
		t.Fatal(err)
	}
	err = encrypt()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), k.ARN) {
		t.Fatalf("a key policy that does not let the admin in: %v", err)
	}
	if err := model.PutKeyPolicy(ctx, sc, k.ID, "", kms.DefaultKeyPolicy(sc.Account)); err != nil {
		t.Fatal(err)
	}
	if err := encrypt(); err != nil {
		t.Fatalf("the default key policy again: %v", err)
	}
}

func kmsListed(keys []kmstypes.KeyListEntry, id string) bool {
	for _, k := range keys {
		if aws.ToString(k.KeyId) == id {
			return true
		}
	}
	return false
}
