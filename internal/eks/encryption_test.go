package eks

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
)

// keyStates stands in for keks's KMS: the state of each key it has.
type keyStates map[string]string

func (k keyStates) state(_ context.Context, region, account, keyARN string) (string, error) {
	if s, ok := k[keyARN]; ok && strings.Contains(keyARN, ":"+region+":"+account+":") {
		return s, nil
	}
	return "", &awserr.Error{Code: "NotFoundException", Status: http.StatusBadRequest, Message: "Key '" + keyARN + "' does not exist"}
}

func encryptionFixture(t *testing.T) (*entryFixture, string) {
	t.Helper()
	f := newEntryFixture(t)
	key := "arn:aws:kms:" + testRegion + ":" + f.account + ":key/0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
	f.s.KMSKeyState = keyStates{
		key: KeyStateEnabled,
		"arn:aws:kms:" + testRegion + ":" + f.account + ":alias/secrets":                            KeyStateEnabled,
		"arn:aws:kms:" + testRegion + ":" + f.account + ":key/11111111-2222-4333-8444-555555555555": "Disabled",
		"arn:aws:kms:eu-west-1:" + f.account + ":key/0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b":          KeyStateEnabled,
	}.state
	return f, key
}

func secretsWith(keyARN string) []EncryptionConfig {
	return []EncryptionConfig{{Resources: []string{"secrets"}, KeyARN: keyARN}}
}

func TestEncryptionConfigRules(t *testing.T) {
	f, key := encryptionFixture(t)
	ctx := context.Background()
	other := strings.Replace(key, "0b5e8f2a", "99999999", 1)
	cases := []struct {
		name string
		cfg  []EncryptionConfig
		msg  string
	}{
		{"two entries", append(secretsWith(key), secretsWith(key)...), "length less than or equal to 1"},
		{"no key", []EncryptionConfig{{Resources: []string{"secrets"}}}, "KeyArn is required"},
		{"no resources", []EncryptionConfig{{KeyARN: key}}, "resources must be [secrets]"},
		{"configmaps", []EncryptionConfig{{Resources: []string{"configmaps"}, KeyARN: key}}, "resources must be [secrets]"},
		{"secrets and more", []EncryptionConfig{{Resources: []string{"secrets", "configmaps"}, KeyARN: key}}, "resources must be [secrets]"},
		{"a key id, not an ARN", secretsWith("0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"), "Invalid keyArn"},
		{"another service's ARN", secretsWith(f.clusterRole), "Invalid keyArn"},
		{"another region", secretsWith(strings.Replace(key, testRegion, "eu-west-1", 1)), "must be in the cluster's region us-east-1"},
		{"no such key", secretsWith(other), "does not exist (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException)"},
		{"a disabled key", secretsWith("arn:aws:kms:" + testRegion + ":" + f.account + ":key/11111111-2222-4333-8444-555555555555"), "is Disabled"},
	}
	for _, tc := range cases {
		_, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "enc", RoleARN: f.clusterRole, SubnetIDs: f.subnets, EncryptionConfig: tc.cfg,
			Region: testRegion, Account: f.account, CallerARN: f.admin})
		wantCode(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
	for _, arn := range []string{key, "arn:aws:kms:" + testRegion + ":" + f.account + ":alias/secrets"} {
		name := "enc-" + arn[strings.LastIndex(arn, ":")+1:][:3]
		c, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: name, RoleARN: f.clusterRole, SubnetIDs: f.subnets, EncryptionConfig: secretsWith(arn),
			Region: testRegion, Account: f.account, CallerARN: f.admin})
		if err != nil {
			t.Fatalf("create with %s: %v", arn, err)
		}
		if len(c.Spec.EncryptionConfig) != 1 || c.Spec.EncryptionConfig[0].KeyARN != arn {
			t.Fatalf("stored encryption config %+v", c.Spec.EncryptionConfig)
		}
	}
	f.s.KMSKeyState = nil
	_, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "nokms", RoleARN: f.clusterRole, SubnetIDs: f.subnets, EncryptionConfig: secretsWith(key),
		Region: testRegion, Account: f.account, CallerARN: f.admin})
	wantCode(t, "without a KMS", err, CodeInvalidParameter, "serves no KMS")
}

func TestAssociateEncryptionConfig(t *testing.T) {
	f, key := encryptionFixture(t)
	ctx := context.Background()
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "young", RoleARN: f.clusterRole, SubnetIDs: f.subnets,
		Region: testRegion, Account: f.account, CallerARN: f.admin}); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.AssociateEncryptionConfig(ctx, testRegion, "young", secretsWith(key))
	wantCode(t, "a CREATING cluster", err, CodeInvalidRequest, "is not in ACTIVE status")
	_, err = f.s.AssociateEncryptionConfig(ctx, testRegion, "nope", secretsWith(key))
	wantCode(t, "no such cluster", err, CodeResourceNotFound, "No cluster found")

	c := f.cluster(t, "plain", AuthModeConfigMap, true, f.admin)
	_, err = f.s.AssociateEncryptionConfig(ctx, testRegion, "plain", nil)
	wantCode(t, "nothing to associate", err, CodeInvalidParameter, "EncryptionConfig is required")
	_, err = f.s.AssociateEncryptionConfig(ctx, testRegion, "plain", []EncryptionConfig{{Resources: []string{"configmaps"}, KeyARN: key}})
	wantCode(t, "configmaps", err, CodeInvalidParameter, "resources must be [secrets]")
	u, err := f.s.AssociateEncryptionConfig(ctx, testRegion, "plain", secretsWith(key))
	if err != nil {
		t.Fatal(err)
	}
	if u.Type != UpdateAssociateEncryptionConfig || u.Status != UpdateInProgress || len(u.Params) != 1 || u.Params[0].Type != "EncryptionConfig" {
		t.Fatalf("update %+v", u)
	}
	var param []struct {
		Resources []string `json:"resources"`
		Provider  struct {
			KeyARN string `json:"keyArn"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(u.Params[0].Value), &param); err != nil || len(param) != 1 || param[0].Provider.KeyARN != key || param[0].Resources[0] != "secrets" {
		t.Fatalf("EncryptionConfig parameter %q: %v", u.Params[0].Value, err)
	}
	after, err := f.s.GetCluster(ctx, testRegion, "plain")
	if err != nil {
		t.Fatal(err)
	}
	if after.Generation != c.Generation+1 || u.Generation != after.Generation || after.Status.Phase != StatusUpdating || len(after.Spec.EncryptionConfig) != 1 {
		t.Fatalf("cluster after the association: generation %d (was %d), update's %d, %s, %+v", after.Generation, c.Generation, u.Generation, after.Status.Phase, after.Spec.EncryptionConfig)
	}
	// One-way: a cluster that encrypts keeps its key.
	_, err = f.s.AssociateEncryptionConfig(ctx, testRegion, "plain", secretsWith(key))
	wantCode(t, "a second association", err, CodeInvalidParameter, "Encryption is already enabled on the cluster")
}
