package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// secretsKey makes a KMS key in keks's KMS (the cluster's region) and
// returns its ARN.
func secretsKey(t *testing.T, description string) string {
	t.Helper()
	k, err := awskms.NewFromConfig(awsConfig()).CreateKey(context.Background(), &awskms.CreateKeyInput{Description: aws.String(description)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.KeyMetadata.Arn)
}

func encryptSecrets(keyARN string) []ekstypes.EncryptionConfig {
	return []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &ekstypes.Provider{KeyArn: aws.String(keyARN)}}}
}

// TestEncryptionConfigAtCreate: EKS's rules for encryptionConfig, and the
// configuration echoed by DescribeCluster.
func TestEncryptionConfigAtCreate(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	key := secretsKey(t, "enc-create")
	disabled := secretsKey(t, "enc-disabled")
	if _, err := awskms.NewFromConfig(awsConfig()).DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(disabled)}); err != nil {
		t.Fatal(err)
	}
	unknown := key[:strings.LastIndex(key, "/")+1] + "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		name string
		cfg  []ekstypes.EncryptionConfig
		msg  string
	}{
		{"two entries", append(encryptSecrets(key), encryptSecrets(key)...), "length less than or equal to 1"},
		{"configmaps", []ekstypes.EncryptionConfig{{Resources: []string{"configmaps"}, Provider: &ekstypes.Provider{KeyArn: aws.String(key)}}}, "resources must be [secrets]"},
		{"no provider", []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}}}, "KeyArn is required"},
		{"not an ARN", encryptSecrets("alias/secrets"), "Invalid keyArn"},
		{"another region", encryptSecrets(strings.Replace(key, ":us-east-1:", ":eu-west-1:", 1)), "must be in the cluster's region"},
		{"no such key", encryptSecrets(unknown), "NotFoundException"},
		{"a disabled key", encryptSecrets(disabled), "is Disabled"},
	} {
		_, err := f.create("enc-refused", func(in *eks.CreateClusterInput) { in.EncryptionConfig = tc.cfg })
		wantAPIError(t, tc.name, err, "InvalidParameterException", tc.msg)
	}
	out, err := f.create("enc-create", func(in *eks.CreateClusterInput) { in.EncryptionConfig = encryptSecrets(key) })
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: out.Cluster.Name})
	if err != nil {
		t.Fatal(err)
	}
	if ec := d.Cluster.EncryptionConfig; len(ec) != 1 || len(ec[0].Resources) != 1 || ec[0].Resources[0] != "secrets" || ec[0].Provider == nil || aws.ToString(ec[0].Provider.KeyArn) != key {
		t.Fatalf("DescribeCluster's encryptionConfig %+v", ec)
	}
}

// TestAssociateEncryptionConfigAPI: encryption enabled on an ACTIVE cluster
// that has none, as an update of type AssociateEncryptionConfig, once.
func TestAssociateEncryptionConfigAPI(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	key := secretsKey(t, "enc-associate")
	if _, err := f.create("enc-later"); err != nil {
		t.Fatal(err)
	}
	associate := func(name string, cfg []ekstypes.EncryptionConfig) (*eks.AssociateEncryptionConfigOutput, error) {
		return f.eks.AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: aws.String(name), EncryptionConfig: cfg})
	}
	_, err := associate("enc-later", encryptSecrets(key))
	wantAPIError(t, "a CREATING cluster", err, "InvalidRequestException", "is not in ACTIVE status")
	_, err = associate("enc-nope", encryptSecrets(key))
	wantAPIError(t, "no such cluster", err, "ResourceNotFoundException", "No cluster found")
	markActive(t, "enc-later")
	_, err = associate("enc-later", []ekstypes.EncryptionConfig{{Resources: []string{"secrets", "configmaps"}, Provider: &ekstypes.Provider{KeyArn: aws.String(key)}}})
	wantAPIError(t, "secrets and configmaps", err, "InvalidParameterException", "resources must be [secrets]")
	out, err := associate("enc-later", encryptSecrets(key))
	if err != nil {
		t.Fatal(err)
	}
	u := out.Update
	if u.Type != ekstypes.UpdateTypeAssociateEncryptionConfig || u.Status != ekstypes.UpdateStatusInProgress || len(u.Params) != 1 || u.Params[0].Type != ekstypes.UpdateParamTypeEncryptionConfig {
		t.Fatalf("update %+v", u)
	}
	var param []ekstypes.EncryptionConfig
	if err := json.Unmarshal([]byte(aws.ToString(u.Params[0].Value)), &param); err != nil || len(param) != 1 || aws.ToString(param[0].Provider.KeyArn) != key {
		t.Fatalf("EncryptionConfig parameter %q: %v", aws.ToString(u.Params[0].Value), err)
	}
	du, err := f.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("enc-later"), UpdateId: u.Id})
	if err != nil || du.Update.Type != ekstypes.UpdateTypeAssociateEncryptionConfig {
		t.Fatalf("describe update: %v %+v", err, du)
	}
	d, err := f.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("enc-later")})
	if err != nil || d.Cluster.Status != ekstypes.ClusterStatusUpdating || len(d.Cluster.EncryptionConfig) != 1 {
		t.Fatalf("cluster during the update: %v %+v", err, d)
	}
	finishUpdates(t, "enc-later")
	_, err = associate("enc-later", encryptSecrets(key))
	wantAPIError(t, "a cluster that encrypts already", err, "InvalidParameterException", "Encryption is already enabled on the cluster")
}

// TestEncryptionNeedsKeyPermissions: giving EKS a key takes
// kms:DescribeKey and kms:CreateGrant on it, as EKS documents, besides the
// EKS action.
func TestEncryptionNeedsKeyPermissions(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	key := secretsKey(t, "enc-permissions")
	eksOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:CreateCluster","eks:AssociateEncryptionConfig","iam:PassRole"],"Resource":"*"}]}`
	describeOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"` + key + `"}]}`
	grants := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:DescribeKey","kms:CreateGrant"],"Resource":"` + key + `"}]}`
	create := func(p principal, name string) error {
		_, err := eks.NewFromConfig(p.cfg).CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String(f.roleARN),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: f.subnets}, EncryptionConfig: encryptSecrets(key)})
		return err
	}
	none := newUser(t, "enc-eks-only", nil, eksOnly)
	denied(t, create(none, "enc-perm-1"), "AccessDeniedException", none.arn, "kms:DescribeKey", key, "")
	describer := newUser(t, "enc-describer", nil, eksOnly, describeOnly)
	denied(t, create(describer, "enc-perm-2"), "AccessDeniedException", describer.arn, "kms:CreateGrant", key, "")
	granter := newUser(t, "enc-granter", nil, eksOnly, grants)
	if err := create(granter, "enc-perm-3"); err != nil {
		t.Fatalf("create with kms:DescribeKey and kms:CreateGrant on the key: %v", err)
	}

	if _, err := f.create("enc-perm-later"); err != nil {
		t.Fatal(err)
	}
	markActive(t, "enc-perm-later")
	_, err := eks.NewFromConfig(none.cfg).AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: aws.String("enc-perm-later"), EncryptionConfig: encryptSecrets(key)})
	denied(t, err, "AccessDeniedException", none.arn, "kms:DescribeKey", key, "")
	viewer := newUser(t, "enc-viewer", nil, viewEKS)
	_, err = eks.NewFromConfig(viewer.cfg).AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: aws.String("enc-perm-later"), EncryptionConfig: encryptSecrets(key)})
	denied(t, err, "AccessDeniedException", viewer.arn, "eks:AssociateEncryptionConfig", "arn:aws:eks:us-east-1:"+testServer.models.Bootstrap.AccountID+":cluster/enc-perm-later", "no identity-based policy allows")
	if _, err := eks.NewFromConfig(granter.cfg).AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: aws.String("enc-perm-later"), EncryptionConfig: encryptSecrets(key)}); err != nil {
		t.Fatalf("associate with kms:DescribeKey and kms:CreateGrant on the key: %v", err)
	}
}
