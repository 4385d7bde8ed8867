package console

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/keksdev/keks/internal/client"
)

// forwardLength is how long a session's AWS credentials live; they are
// renewed a few minutes before they end.
const (
	forwardLength = time.Hour
	renewBefore   = 5 * time.Minute
)

// awsClients are a session's clients of keks's AWS APIs, signing as its
// principal.
type awsClients struct {
	EKS     *eks.Client
	EC2     *ec2.Client
	IAM     *iam.Client
	Logs    *cloudwatchlogs.Client
	creds   aws.Credentials
	expires time.Time
}

// kubeClient is a session's client of one cluster's API server.
type kubeClient struct {
	*kubernetes.Clientset
	// Config is the client's configuration (same endpoint, CA and token),
	// for clients of other kinds (dynamic) made from it.
	Config   *rest.Config
	endpoint string
	ca       string
}

type clientCache struct {
	console *Console
	mu      sync.Mutex
	aws     map[string]*awsClients // by session key
	kube    map[string]*kubeClient // by session key and cluster name
}

// awsFor returns the session's AWS clients.
func (c *clientCache) awsFor(ctx context.Context, s *Session) (*awsClients, error) {
	now := c.console.Now()
	c.mu.Lock()
	cl := c.aws[s.key]
	c.mu.Unlock()
	if cl != nil && now.Add(renewBefore).Before(cl.expires) {
		return cl, nil
	}
	fwd, err := c.console.Identity.IssueForwardSession(ctx, s.Principal(), forwardLength)
	if err != nil {
		return nil, fmt.Errorf("credentials of %s: %w", s.ARN, err)
	}
	creds := aws.Credentials{AccessKeyID: fwd.AccessKeyID, SecretAccessKey: fwd.SecretAccessKey, SessionToken: fwd.SessionToken,
		CanExpire: true, Expires: fwd.Expiration}
	cfg := aws.Config{Region: c.console.Region, HTTPClient: c.console.HTTP, BaseEndpoint: aws.String(c.console.Endpoint),
		Credentials: credentials.StaticCredentialsProvider{Value: creds}}
	// The console shows an error as it comes: no retries behind the user's back.
	cfg.RetryMaxAttempts = 1
	cl = &awsClients{EKS: eks.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg),
		Logs: cloudwatchlogs.NewFromConfig(cfg), creds: creds, expires: fwd.Expiration}
	c.mu.Lock()
	c.aws[s.key] = cl
	c.mu.Unlock()
	return cl, nil
}

// kubeFor returns the session's client of a cluster, which authenticates
// with the principal's EKS token: what it may see is what its access
// entries and RBAC allow, as for kubectl.
func (c *clientCache) kubeFor(ctx context.Context, s *Session, cluster string) (*kubeClient, error) {
	cl, err := c.awsFor(ctx, s)
	if err != nil {
		return nil, err
	}
	out, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, err
	}
	endpoint, ca := aws.ToString(out.Cluster.Endpoint), ""
	if out.Cluster.CertificateAuthority != nil {
		ca = aws.ToString(out.Cluster.CertificateAuthority.Data)
	}
	if endpoint == "" || ca == "" {
		return nil, fmt.Errorf("cluster %s has no endpoint yet (it is %s)", cluster, out.Cluster.Status)
	}
	key := s.key + "|" + cluster
	c.mu.Lock()
	kc := c.kube[key]
	c.mu.Unlock()
	if kc != nil && kc.endpoint == endpoint && kc.ca == ca {
		return kc, nil
	}
	caPEM, err := base64.StdEncoding.DecodeString(ca)
	if err != nil {
		return nil, fmt.Errorf("cluster %s's certificate authority: %w", cluster, err)
	}
	cfg := &rest.Config{Host: endpoint, TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}, Timeout: 20 * time.Second,
		UserAgent: "keks-console", QPS: 20, Burst: 40}
	bearer := client.BearerTransport(func(ctx context.Context) (string, error) {
		cl, err := c.awsFor(ctx, s)
		if err != nil {
			return "", err
		}
		token, _, err := client.PresignToken(ctx, c.console.Endpoint, c.console.Region, cl.creds, cluster)
		return token, err
	})
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return retryWhileUnknown(func() bool { return c.credentialsNew(s) }, bearer(rt))
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client of cluster %s: %w", cluster, err)
	}
	kc = &kubeClient{Clientset: cs, Config: cfg, endpoint: endpoint, ca: ca}
	c.mu.Lock()
	c.kube[key] = kc
	c.mu.Unlock()
	return kc, nil
}

// newCredentialsWait is how long a cluster may take to learn a session's
// new AWS credentials: its authenticator verifies tokens against a
// snapshot of keks's keys that keks rewrites every few seconds, so a
// token signed with credentials minted a moment ago is refused at first.
const newCredentialsWait = 10 * time.Second

// credentialsNew is whether the session's AWS credentials were minted
// less than newCredentialsWait ago.
func (c *clientCache) credentialsNew(s *Session) bool {
	c.mu.Lock()
	cl := c.aws[s.key]
	c.mu.Unlock()
	return cl != nil && c.console.Now().Before(cl.expires.Add(-forwardLength+newCredentialsWait))
}

// retryWhileUnknown sends a read again, every half second, while the
// cluster answers Unauthorized and the credentials are new: every
// Kubernetes view right after sign-in would otherwise fail.
func retryWhileUnknown(fresh func() bool, next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		for {
			resp, err := next.RoundTrip(req)
			if err != nil || resp.StatusCode != http.StatusUnauthorized || req.Method != http.MethodGet || !fresh() {
				return resp, err
			}
			resp.Body.Close()
			select {
			case <-req.Context().Done():
				return nil, req.Context().Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// forget drops the clients of a session that ended.
func (c *clientCache) forget(sessionKey string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.aws, sessionKey)
	for k := range c.kube {
		if strings.HasPrefix(k, sessionKey+"|") {
			delete(c.kube, k)
		}
	}
}
