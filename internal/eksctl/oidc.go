package eksctl

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// findOIDCProvider returns the IAM OIDC provider of an issuer, if any.
func (m *Manager) findOIDCProvider(ctx context.Context, issuer string) (string, error) {
	out, err := m.Clients.IAM.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return "", fmt.Errorf("listing IAM OIDC providers: %w", err)
	}
	suffix := ":oidc-provider/" + IssuerHostPath(issuer)
	for _, p := range out.OpenIDConnectProviderList {
		if strings.HasSuffix(aws.ToString(p.Arn), suffix) {
			return aws.ToString(p.Arn), nil
		}
	}
	return "", nil
}

// associateOIDC creates the cluster issuer's IAM OIDC provider (client id
// sts.amazonaws.com, the issuer's root CA thumbprint), unless it exists.
func (m *Manager) associateOIDC(ctx context.Context, cluster, region, issuer string) (OIDCProvider, error) {
	if issuer == "" {
		return OIDCProvider{}, fmt.Errorf("cluster %q has no OIDC issuer", cluster)
	}
	arn, err := m.findOIDCProvider(ctx, issuer)
	if err != nil {
		return OIDCProvider{}, err
	}
	if arn != "" {
		m.Log.Info("IAM Open ID Connect provider is already associated with cluster %q in %q", cluster, region)
		return OIDCProvider{ARN: arn, IssuerHostPath: IssuerHostPath(issuer)}, nil
	}
	in := &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"},
		Tags: []iamtypes.Tag{{Key: aws.String(TagClusterName), Value: aws.String(cluster)}},
	}
	if tp := rootCAThumbprint(ctx, issuer); tp != "" {
		in.ThumbprintList = []string{tp}
	}
	out, err := m.Clients.IAM.CreateOpenIDConnectProvider(ctx, in)
	if err != nil {
		return OIDCProvider{}, fmt.Errorf("creating IAM OIDC provider for %s: %w", issuer, err)
	}
	m.Log.Info("created IAM Open ID Connect provider for cluster %q", cluster)
	return OIDCProvider{ARN: aws.ToString(out.OpenIDConnectProviderArn), IssuerHostPath: IssuerHostPath(issuer)}, nil
}

// rootCAThumbprint is the SHA-1 of the last certificate the issuer's TLS
// server presents, as eksctl computes it. The connection only reads the
// certificate (IAM pins it), so it does not verify the chain; an issuer
// that cannot be reached gets no thumbprint, which IAM accepts.
func rootCAThumbprint(ctx context.Context, issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Host
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "443")
	}
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{InsecureSkipVerify: true, ServerName: u.Hostname()}} //nolint:gosec // reads the certificate only
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return ""
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return ""
	}
	sum := sha1.Sum(certs[len(certs)-1].Raw)
	return hex.EncodeToString(sum[:])
}
