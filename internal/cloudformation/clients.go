package cloudformation

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation/resource"
	keksiam "github.com/keksdev/keks/internal/iam"
)

// Sessions mints the credentials a stack's operations act with.
type Sessions interface {
	IssueForwardSession(ctx context.Context, p awsproto.Principal, d time.Duration) (*keksiam.Credentials, error)
	AssumeRoleAsService(ctx context.Context, in keksiam.ServiceSessionRequest) (*keksiam.Credentials, bool, error)
}

// sessionLength is how long a stack operation's credentials last; they
// are minted again when less than sessionMargin is left, so that a long
// operation (a cluster, a node group) never acts with expired ones.
const (
	sessionLength = time.Hour
	sessionMargin = 15 * time.Minute
)

// ClientFactory builds the API clients a stack's operation acts with:
// aws-sdk-go-v2 clients of keks's own endpoint, signed with a forward
// access session of the stack's caller, or with a session of its service
// role (RoleARN) as CloudFormation assumes it.
type ClientFactory struct {
	Endpoint string       // keks's own URL, https://host:port
	HTTP     *http.Client // trusting keks's CA
	Sessions Sessions
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]cachedClients
}

type cachedClients struct {
	clients *resource.Clients
	expires time.Time
}

// For returns the clients of st's operation in progress.
func (f *ClientFactory) For(ctx context.Context, st *Stack) (*resource.Clients, error) {
	now := time.Now()
	if f.Now != nil {
		now = f.Now()
	}
	key := fmt.Sprintf("%s|%d|%s|%s", st.UUID, st.Op, st.RoleARN, st.Caller.ARN)
	f.mu.Lock()
	if f.cache == nil {
		f.cache = map[string]cachedClients{}
	}
	for k, c := range f.cache {
		if now.After(c.expires) {
			delete(f.cache, k)
		}
	}
	c, ok := f.cache[key]
	f.mu.Unlock()
	if ok && now.Add(sessionMargin).Before(c.expires) {
		return c.clients, nil
	}
	creds, err := f.session(ctx, st)
	if err != nil {
		return nil, err
	}
	cfg := aws.Config{Region: st.Region, HTTPClient: f.HTTP, BaseEndpoint: aws.String(f.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	clients := &resource.Clients{EC2: ec2.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg)}
	f.mu.Lock()
	f.cache[key] = cachedClients{clients: clients, expires: creds.Expiration}
	f.mu.Unlock()
	return clients, nil
}

func (f *ClientFactory) session(ctx context.Context, st *Stack) (*keksiam.Credentials, error) {
	if st.RoleARN != "" {
		creds, ok, err := f.Sessions.AssumeRoleAsService(ctx, keksiam.ServiceSessionRequest{Service: "cloudformation.amazonaws.com",
			RoleARN: st.RoleARN, SessionName: "AWSCloudFormation", Duration: sessionLength,
			Context: map[string][]string{"aws:SourceArn": {st.ID}, "aws:SourceAccount": {st.Account}}})
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("Role %s is invalid or cannot be assumed", st.RoleARN)
		}
		return creds, nil
	}
	c := st.Caller
	return f.Sessions.IssueForwardSession(ctx, awsproto.Principal{Account: c.Account, ARN: c.ARN, UserID: c.UserID,
		SessionTags: c.SessionTags, SessionPolicy: c.SessionPolicy}, sessionLength)
}
