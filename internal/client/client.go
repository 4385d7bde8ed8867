// Package client is what keks's own CLI uses to talk to a keks server the
// way the AWS CLI does: aws-sdk-go-v2 configured from the `keks` profile
// (or an instance's, whose credentials come from the instance metadata
// service), an EKS token presigner, and the operator API.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/pki"
)

// Client holds a profile's endpoint, credentials and trust.
type Client struct {
	Profile *awsprofile.Profile
	HTTP    *http.Client
	Config  aws.Config
}

// New loads a profile written by keks server.
func New(profile string) (*Client, error) {
	p, err := awsprofile.Read(profile)
	if err != nil {
		return nil, err
	}
	// No bundle: nil RootCAs is the system's roots.
	var pool *x509.CertPool
	if p.CABundle != "" {
		if pool, err = pki.SystemRootsWith(p.CABundle); err != nil {
			return nil, fmt.Errorf("profile %s: %w", profile, err)
		}
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	creds, err := credentialsOf(p)
	if err != nil {
		return nil, err
	}
	cfg := aws.Config{
		Region:       p.Region,
		Credentials:  creds,
		HTTPClient:   hc,
		BaseEndpoint: aws.String(p.EndpointURL),
	}
	return &Client{Profile: p, HTTP: hc, Config: cfg}, nil
}

// credentialsOf is where a profile's credentials come from: its keys, as
// the SDKs take them first, or else its credential_source.
func credentialsOf(p *awsprofile.Profile) (aws.CredentialsProvider, error) {
	switch {
	case p.AccessKeyID != "":
		return credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, p.SessionToken), nil
	case p.CredentialSource == awsprofile.Ec2InstanceMetadata:
		// The SDK's own provider and metadata client (IMDSv2, falling back
		// to v1), so an instance gets its role's session as any SDK on EC2
		// does; AWS_EC2_METADATA_SERVICE_ENDPOINT points it elsewhere. The
		// service is link-local: never asked through a proxy that keks's
		// environment (which the kubelet inherits) may name.
		direct := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) { tr.Proxy = nil })
		metadata := imds.New(imds.Options{HTTPClient: direct})
		return aws.NewCredentialsCache(ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = metadata })), nil
	default:
		return nil, fmt.Errorf("AWS profile %s: credential_source %q is not supported (keks knows %s)", p.Name, p.CredentialSource, awsprofile.Ec2InstanceMetadata)
	}
}

// Token makes an EKS token for a cluster, as `aws eks get-token` does.
func (c *Client) Token(ctx context.Context, clusterName string) (string, time.Time, error) {
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("credentials of AWS profile %s: %w", c.Profile.Name, err)
	}
	return PresignToken(ctx, c.Profile.EndpointURL, c.Profile.Region, creds, clusterName)
}

// PresignToken makes an EKS token with creds: a GetCallerIdentity URL of
// the STS at endpoint, presigned for 60 seconds with x-k8s-aws-id signed.
func PresignToken(ctx context.Context, endpoint, region string, creds aws.Credentials, clusterName string) (string, time.Time, error) {
	u := strings.TrimRight(endpoint, "/") + "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", time.Time{}, err
	}
	req.Header.Set("x-k8s-aws-id", clusterName)
	now := time.Now().UTC()
	emptyHash := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptyHash, "sts", region, now)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("presign token: %w", err)
	}
	return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(signed)), now.Add(14 * time.Minute), nil
}

// Operator calls keks's operator API, signed for the service "keks": a GET.
func (c *Client) Operator(ctx context.Context, path string, out any) error {
	return c.OperatorDo(ctx, http.MethodGet, path, nil, out)
}

// OperatorDo calls keks's operator API with method, sending in as JSON
// unless it is nil, and decodes the answer into out.
func (c *Client) OperatorDo(ctx context.Context, method, path string, in, out any) error {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Profile.EndpointURL, "/")+path, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials of AWS profile %s: %w", c.Profile.Name, err)
	}
	sum := sha256.Sum256(payload)
	payloadHash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, "keks", c.Profile.Region, time.Now()); err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("reach keks at %s: %w", c.Profile.EndpointURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		// REST-JSON errors: the code in x-amzn-ErrorType, the message in the body.
		msg := strings.TrimSpace(string(body))
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if code, _, _ := strings.Cut(resp.Header.Get("x-amzn-ErrorType"), ":"); code != "" {
			return fmt.Errorf("keks answered %s %s: %s", resp.Status, code, msg)
		}
		return fmt.Errorf("keks answered %s: %s", resp.Status, msg)
	}
	return json.Unmarshal(body, out)
}
