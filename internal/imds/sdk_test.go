package imds

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	sdkimds "github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// The SDK's own clients read the service: what they parse is what EC2's
// metadata service must look like, whoever wrote this handler.

func sdkClient(url string) *sdkimds.Client {
	return sdkimds.New(sdkimds.Options{Endpoint: url})
}

func TestSDKGetsTheRoleCredentials(t *testing.T) {
	for _, tokensRequired := range []bool{false, true} {
		f := newFixture(t)
		f.set(func() { f.tokensRequired = tokensRequired })
		ts := f.server(t)
		ctx := context.Background()
		creds, err := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = sdkClient(ts.URL) }).Retrieve(ctx)
		if err != nil {
			t.Fatalf("tokens required %v: ec2rolecreds: %v", tokensRequired, err)
		}
		if creds.AccessKeyID != "ASIAEXAMPLE1" || creds.SecretAccessKey != "secret1" || creds.SessionToken != "token1" || !creds.CanExpire {
			t.Errorf("credentials: %+v", creds)
		}
		want := issue{roleARN: node.RoleARN, sessionName: node.ID, d: 6 * time.Hour}
		if got := f.issues(); len(got) != 1 || got[0] != want {
			t.Fatalf("sessions issued: %+v, want one %+v", got, want)
		}

		// Until 15 minutes before its end the session is handed out again.
		f.advance(6*time.Hour - 16*time.Minute)
		if creds, err = ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = sdkClient(ts.URL) }).Retrieve(ctx); err != nil || creds.AccessKeyID != "ASIAEXAMPLE1" {
			t.Errorf("before renewal: %v %v", creds.AccessKeyID, err)
		}
		f.advance(2 * time.Minute)
		if creds, err = ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = sdkClient(ts.URL) }).Retrieve(ctx); err != nil || creds.AccessKeyID != "ASIAEXAMPLE2" {
			t.Errorf("after renewal: %v %v", creds.AccessKeyID, err)
		}
		if n := len(f.issues()); n != 2 {
			t.Errorf("%d sessions issued, want 2", n)
		}
	}
}

func TestSDKReadsTheIdentityDocumentAndProfile(t *testing.T) {
	ts := newFixture(t).server(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	doc, err := c.GetInstanceIdentityDocument(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := doc.InstanceIdentityDocument
	if d.AccountID != "111122223333" || d.Region != "us-west-2" || d.AvailabilityZone != "us-west-2b" || d.InstanceID != node.ID ||
		d.InstanceType != "t3.medium" || d.ImageID != node.ImageID || d.PrivateIP != "127.0.0.1" || d.Architecture == "" ||
		!d.PendingTime.Equal(node.LaunchTime) || d.Version != "2017-09-30" {
		t.Errorf("identity document: %+v", d)
	}
	info, err := c.GetIAMInfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.InstanceProfileArn != "arn:aws:iam::111122223333:instance-profile/eks/NodeRole" || info.InstanceProfileID != "AIPA0123456789" {
		t.Errorf("iam/info: %+v", info.IAMInfo)
	}
	region, err := c.GetRegion(ctx, nil)
	if err != nil || region.Region != "us-west-2" {
		t.Errorf("region: %v %v", region, err)
	}
}
