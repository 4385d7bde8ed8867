package autoscalingapi

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto/awsprototest"

	"github.com/keksdev/keks/internal/store/storetest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsas "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/smithy-go"

	"github.com/keksdev/keks/internal/autoscaling"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

// The wire tests serve Auto Scaling through the front door (SigV4
// verification, checks, dispatch) over the model on an embedded etcd,
// and talk to it with aws-sdk-go-v2's Auto Scaling client, as
// cluster-autoscaler does.
const (
	testAccount   = "123456789012"
	testRegion    = "us-east-1"
	testAccessKey = "AKIAASGAPITEST000001"
	testSecret    = "asg-api-test-secret-asg-api-test-secret0"
)

var front struct {
	store   *store.Store
	model   *autoscaling.Service
	server  *httptest.Server
	authz   *awsprototest.RecordingAuthorizer
	subnets []ec2.Subnet
}

func TestMain(m *testing.M) {
	storetest.Main(m, func(st *store.Store) func() {
		front.store = st
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e2 := &ec2.Service{Store: front.store}
		if _, err := e2.EnsureDefaultVPC(context.Background(), testRegion, testAccount); err != nil {
			panic(err)
		}
		subnets, err := e2.Subnets(context.Background(), testRegion)
		if err != nil {
			panic(err)
		}
		front.subnets = subnets
		front.model = &autoscaling.Service{Store: front.store, EC2: e2, EKS: &eks.Service{Store: front.store, EC2: e2, Now: time.Now}}
		front.authz = &awsprototest.RecordingAuthorizer{}
		router := &awsproto.Router{Keys: awsprototest.Keys{ID: testAccessKey, Secret: testSecret, Account: testAccount}, Authz: front.authz, Log: log, Now: time.Now,
			Services: map[string]*awsproto.Service{"autoscaling": (&Handler{AS: front.model}).Service()}}
		front.server = httptest.NewServer(router)
		return front.server.Close
	})
}

func client() *awsas.Client {
	return awsas.NewFromConfig(aws.Config{Region: testRegion, BaseEndpoint: aws.String(front.server.URL), HTTPClient: front.server.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecret, ""), RetryMaxAttempts: 1})
}

// cluster records an ACTIVE cluster and n node groups of it; it returns
// their groups' names.
func cluster(t *testing.T, name string, n int) []string {
	t.Helper()
	ctx := context.Background()
	cl := &eks.Cluster{Name: name, UID: "uid-" + name, Region: testRegion, Account: testAccount}
	cl.Status.Phase = eks.StatusActive
	if err := front.store.Create(ctx, eks.ClusterPrefix+testRegion+"/"+name, cl); err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range n {
		ngName := string(rune('a'+i)) + "-workers"
		id := fmt.Sprintf("%08x-1111-2222-3333-44445555000%d", crc32.ChecksumIEEE([]byte(name)), i)
		ng := &eks.Nodegroup{Name: ngName, ClusterName: name, ClusterUID: cl.UID, Region: testRegion, Account: testAccount,
			ARN: "arn:aws:eks:us-east-1:123456789012:nodegroup/" + name + "/" + ngName + "/" + id, ASGName: "eks-" + ngName + "-" + id,
			Status: eks.NodegroupActive, Scaling: eks.Scaling{Min: 1, Max: 3, Desired: 1}, Generation: 1, CreatedAt: time.Now(),
			InstanceTypes: []string{"m5.large"}, Subnets: []string{front.subnets[0].ID}, CapacityType: "ON_DEMAND"}
		if err := front.store.Create(ctx, eks.NodegroupPrefix+cl.UID+"/"+ngName, ng); err != nil {
			t.Fatal(err)
		}
		names = append(names, ng.ASGName)
	}
	return names
}

func apiError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Fatalf("error %v; want %s %q", err, code, message)
	}
}

var clusterSeq atomic.Int64

// unique makes a cluster name of its own for each test run (-count=N
// shares the store).
func unique(base string) string { return fmt.Sprintf("%s%d", base, clusterSeq.Add(1)) }
