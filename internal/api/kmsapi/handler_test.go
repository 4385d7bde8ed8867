package kmsapi

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// wantAPIError fails the test unless err is the KMS error code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() == "" {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
}

func TestKeyLifecycleThroughSDK(t *testing.T) {
	ctx := context.Background()
	c := testClient(t)
	created, err := c.CreateKey(ctx, &awskms.CreateKeyInput{Description: aws.String("app data"),
		Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	md := created.KeyMetadata
	if md.KeyState != kmstypes.KeyStateEnabled || !md.Enabled || md.KeySpec != kmstypes.KeySpecSymmetricDefault ||
		md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt || aws.ToString(md.AWSAccountId) != testAccount ||
		aws.ToString(md.Description) != "app data" || md.KeyManager != kmstypes.KeyManagerTypeCustomer || md.Origin != kmstypes.OriginTypeAwsKms ||
		md.CreationDate == nil || time.Since(*md.CreationDate) > time.Minute || !strings.HasSuffix(aws.ToString(md.Arn), ":key/"+aws.ToString(md.KeyId)) {
		t.Fatalf("metadata %+v", md)
	}
	keyID, keyARN := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	aliasARN := strings.Replace(keyARN, ":key/"+keyID, ":alias/app", 1)
	for _, name := range []string{keyID, keyARN, "alias/app", aliasARN} {
		d, err := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(name)})
		if err != nil || aws.ToString(d.KeyMetadata.Arn) != keyARN {
			t.Fatalf("describe by %s: %v", name, err)
		}
	}

	ec := map[string]string{"purpose": "sdk"}
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String("alias/app"), Plaintext: []byte("hello"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(enc.KeyId) != keyARN || enc.EncryptionAlgorithm != kmstypes.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("encrypt answered %s %s", aws.ToString(enc.KeyId), enc.EncryptionAlgorithm)
	}
	dec, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil || string(dec.Plaintext) != "hello" || aws.ToString(dec.KeyId) != keyARN {
		t.Fatalf("decrypt: %v", err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "other"}})
	var invalid *kmstypes.InvalidCiphertextException
	if !errors.As(err, &invalid) {
		t.Fatalf("decrypt with another context: %v", err)
	}

	dk, err := c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: kmstypes.DataKeySpecAes256})
	if err != nil || len(dk.Plaintext) != 32 {
		t.Fatalf("data key: %v", err)
	}
	opened, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, KeyId: aws.String(keyARN)})
	if err != nil || !bytes.Equal(opened.Plaintext, dk.Plaintext) {
		t.Fatalf("decrypt the data key: %v", err)
	}
	bare, err := c.GenerateDataKeyWithoutPlaintext(ctx, &awskms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(keyID), NumberOfBytes: aws.Int32(16)})
	if err != nil || len(bare.CiphertextBlob) == 0 {
		t.Fatalf("data key without plaintext: %v", err)
	}
	other, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	re, err := c.ReEncrypt(ctx, &awskms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ec, DestinationKeyId: other.KeyMetadata.KeyId})
	if err != nil || aws.ToString(re.SourceKeyId) != keyARN || aws.ToString(re.KeyId) != aws.ToString(other.KeyMetadata.Arn) {
		t.Fatalf("re-encrypt: %v", err)
	}
	random, err := c.GenerateRandom(ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(24)})
	if err != nil || len(random.Plaintext) != 24 {
		t.Fatalf("random: %v", err)
	}

	if _, err := c.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x")})
	var disabled *kmstypes.DisabledException
	if !errors.As(err, &disabled) {
		t.Fatalf("encrypt with a disabled key: %v", err)
	}
	if _, err := c.EnableKey(ctx, &awskms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}

	sched, err := c.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)})
	if err != nil || sched.KeyState != kmstypes.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 ||
		aws.ToString(sched.KeyId) != keyARN || sched.DeletionDate == nil || sched.DeletionDate.Sub(time.Now()) < 6*24*time.Hour {
		t.Fatalf("schedule deletion: %+v %v", sched, err)
	}
	d, _ := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if d.KeyMetadata.DeletionDate == nil || aws.ToInt32(d.KeyMetadata.PendingDeletionWindowInDays) != 7 || d.KeyMetadata.Enabled {
		t.Fatalf("pending key %+v", d.KeyMetadata)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	var invalidState *kmstypes.KMSInvalidStateException
	if !errors.As(err, &invalidState) {
		t.Fatalf("decrypt with a key pending deletion: %v", err)
	}
	cancelled, err := c.CancelKeyDeletion(ctx, &awskms.CancelKeyDeletionInput{KeyId: aws.String(keyID)})
	if err != nil || aws.ToString(cancelled.KeyId) != keyARN {
		t.Fatalf("cancel deletion: %v", err)
	}
	if d, _ := c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyID)}); d.KeyMetadata.KeyState != kmstypes.KeyStateDisabled {
		t.Fatalf("state after cancel: %s", d.KeyMetadata.KeyState)
	}
	if _, err := c.UpdateKeyDescription(ctx, &awskms.UpdateKeyDescriptionInput{KeyId: aws.String(keyID), Description: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	rot, err := c.GetKeyRotationStatus(ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(keyID)})
	if err != nil || rot.KeyRotationEnabled {
		t.Fatalf("rotation status: %v", err)
	}
}

func TestListingsPageThroughSDK(t *testing.T) {
	ctx := context.Background()
	c := testClient(t)
	var ids []string
	for range 5 {
		k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(k.KeyMetadata.KeyId))
	}
	pages, seen := 0, map[string]bool{}
	for p := awskms.NewListKeysPaginator(c, &awskms.ListKeysInput{Limit: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range out.Keys {
			if seen[aws.ToString(k.KeyId)] || !strings.HasSuffix(aws.ToString(k.KeyArn), aws.ToString(k.KeyId)) {
				t.Fatalf("listed %+v twice or with a foreign ARN", k)
			}
			seen[aws.ToString(k.KeyId)] = true
		}
	}
	if pages != 3 || len(seen) != 5 {
		t.Fatalf("%d pages, %d keys", pages, len(seen))
	}
	for i, name := range []string{"alias/a", "alias/b", "alias/c"} {
		if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(ids[i%2])}); err != nil {
			t.Fatal(err)
		}
	}
	of0, err := c.ListAliases(ctx, &awskms.ListAliasesInput{KeyId: aws.String(ids[0])})
	if err != nil || len(of0.Aliases) != 2 || aws.ToString(of0.Aliases[0].AliasName) != "alias/a" || aws.ToString(of0.Aliases[1].AliasName) != "alias/c" ||
		aws.ToString(of0.Aliases[0].TargetKeyId) != ids[0] || of0.Truncated || of0.Aliases[0].CreationDate == nil {
		t.Fatalf("aliases of the first key: %+v %v", of0.Aliases, err)
	}
	first, err := c.ListAliases(ctx, &awskms.ListAliasesInput{Limit: aws.Int32(2)})
	if err != nil || len(first.Aliases) != 2 || !first.Truncated || first.NextMarker == nil {
		t.Fatalf("first alias page: %+v %v", first, err)
	}
	rest, err := c.ListAliases(ctx, &awskms.ListAliasesInput{Limit: aws.Int32(2), Marker: first.NextMarker})
	if err != nil || len(rest.Aliases) != 1 || rest.Truncated || aws.ToString(rest.Aliases[0].AliasName) != "alias/c" {
		t.Fatalf("second alias page: %+v %v", rest, err)
	}
	_, err = c.ListKeys(ctx, &awskms.ListKeysInput{Marker: aws.String("not-ours")})
	var badMarker *kmstypes.InvalidMarkerException
	if !errors.As(err, &badMarker) {
		t.Fatalf("a foreign marker: %v", err)
	}
}

func TestPoliciesAndTagsThroughSDK(t *testing.T) {
	ctx := context.Background()
	c := testClient(t)
	k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := k.KeyMetadata.KeyId
	pol, err := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: id})
	if err != nil || aws.ToString(pol.PolicyName) != "default" || !strings.Contains(aws.ToString(pol.Policy), "arn:aws:iam::"+testAccount+":root") {
		t.Fatalf("default policy: %v", err)
	}
	names, err := c.ListKeyPolicies(ctx, &awskms.ListKeyPoliciesInput{KeyId: id})
	if err != nil || len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
		t.Fatalf("policy names: %v", err)
	}
	_, err = c.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(`{"Statement":`)})
	var malformed *kmstypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) {
		t.Fatalf("a malformed policy: %v", err)
	}
	mine := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}`
	if _, err := c.PutKeyPolicy(ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(mine)}); err != nil {
		t.Fatal(err)
	}
	if pol, _ := c.GetKeyPolicy(ctx, &awskms.GetKeyPolicyInput{KeyId: id, PolicyName: aws.String("default")}); aws.ToString(pol.Policy) != mine {
		t.Fatalf("policy after put: %s", aws.ToString(pol.Policy))
	}

	if _, err := c.TagResource(ctx, &awskms.TagResourceInput{KeyId: id, Tags: []kmstypes.Tag{
		{TagKey: aws.String("b"), TagValue: aws.String("2")}, {TagKey: aws.String("a"), TagValue: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awskms.UntagResourceInput{KeyId: id, TagKeys: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListResourceTags(ctx, &awskms.ListResourceTagsInput{KeyId: id})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "a" || aws.ToString(tags.Tags[0].TagValue) != "1" {
		t.Fatalf("tags %+v: %v", tags, err)
	}
	_, err = c.TagResource(ctx, &awskms.TagResourceInput{KeyId: id, Tags: []kmstypes.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("1")}}})
	var tagErr *kmstypes.TagException
	if !errors.As(err, &tagErr) {
		t.Fatalf("a reserved tag key: %v", err)
	}
}

func TestErrorsThroughSDK(t *testing.T) {
	ctx := context.Background()
	c := testClient(t)
	k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := k.KeyMetadata.KeyId
	_, err = c.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String("11111111-2222-4333-8444-555555555555")})
	var notFound *kmstypes.NotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("describe a missing key: %v", err)
	}
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/dup"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/dup"), TargetKeyId: id})
	var exists *kmstypes.AlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("a second alias of one name: %v", err)
	}
	for _, name := range []string{"dup", "alias/aws/s3"} {
		_, err = c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: id})
		var badName *kmstypes.InvalidAliasNameException
		if !errors.As(err, &badName) {
			t.Fatalf("alias name %s: %v", name, err)
		}
	}
	_, err = c.ScheduleKeyDeletion(ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(3)})
	wantAPIError(t, err, "ValidationException")
	_, err = c.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: id})
	wantAPIError(t, err, "ValidationException")
	_, err = c.Encrypt(ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	var dry *kmstypes.DryRunOperationException
	if !errors.As(err, &dry) {
		t.Fatalf("dry run: %v", err)
	}
	_, err = c.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048})
	var unsupported *kmstypes.UnsupportedOperationException
	if !errors.As(err, &unsupported) {
		t.Fatalf("an RSA key: %v", err)
	}
	_, err = c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: []byte("not a ciphertext blob of keks at all")})
	var invalid *kmstypes.InvalidCiphertextException
	if !errors.As(err, &invalid) {
		t.Fatalf("a foreign blob: %v", err)
	}
}

// TestChecksReachTheAuthorizer follows calls through the front door: the
// authorizer is asked about the key's ARN, with its policy, whatever name
// the request used.
func TestChecksReachTheAuthorizer(t *testing.T) {
	ctx := context.Background()
	c := testClient(t)
	k, err := c.CreateKey(ctx, &awskms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(k.KeyMetadata.Arn)
	if _, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/audited"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	alias := front.authz.ChecksOf("kms:CreateAlias")
	if len(alias) != 2 || !strings.HasSuffix(alias[0].Resource, ":alias/audited") || alias[1].Resource != keyARN || alias[1].ResourcePolicy == "" {
		t.Fatalf("CreateAlias checks %+v", alias)
	}
	enc, err := c.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String("alias/audited"), Plaintext: []byte("x"), EncryptionContext: map[string]string{"app": "web"}})
	if err != nil {
		t.Fatal(err)
	}
	ch := front.authz.ChecksOf("kms:Encrypt")
	if len(ch) != 1 || ch[0].Resource != keyARN || ch[0].Context["kms:RequestAlias"][0] != "alias/audited" ||
		ch[0].Context["kms:EncryptionContext:app"][0] != "web" || ch[0].Context["kms:ResourceAliases"][0] != "alias/audited" {
		t.Fatalf("Encrypt checks %+v", ch)
	}
	if _, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"app": "web"}}); err != nil {
		t.Fatal(err)
	}
	if ch := front.authz.ChecksOf("kms:Decrypt"); len(ch) != 1 || ch[0].Resource != keyARN {
		t.Fatalf("Decrypt without KeyId checks %+v", ch)
	}
}
