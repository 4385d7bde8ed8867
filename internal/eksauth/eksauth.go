// Package eksauth is the EKS Auth API's model: AssumeRoleForPodIdentity,
// which the Pod Identity agent on each node calls with a pod's service
// account token to get the credentials of the role associated with that
// service account. It checks the token against the cluster's signing key,
// finds the association, and has IAM issue a session of the role to
// pods.eks.amazonaws.com, with the session tags EKS sets.
package eksauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
)

// Audience is the audience of the tokens the agent is given, and the
// service principal that assumes associated roles.
const Audience = "pods.eks.amazonaws.com"

// Error codes of EKS Auth beside EKS's own.
const (
	CodeInvalidToken  = "InvalidTokenException"
	CodeExpiredToken  = "ExpiredTokenException"
	CodeAccessDenied  = "AccessDeniedException"
	sessionDuration   = 6 * time.Hour // what EKS Auth issues; the agent refreshes before
	sessionNameLength = 64
)

// Service answers AssumeRoleForPodIdentity.
type Service struct {
	EKS *eks.Service
	IAM *iam.Service
	// SigningKey is the public key a cluster signs service account tokens with.
	SigningKey func(ctx context.Context, clusterUID string) (crypto.PublicKey, error)
	Now        func() time.Time
}

// PodCredentials is what AssumeRoleForPodIdentity answers.
type PodCredentials struct {
	Namespace, ServiceAccount     string
	AssociationARN, AssociationID string
	Credentials                   *iam.Credentials
}

// serviceAccountClaims are the claims of a projected service account token.
type serviceAccountClaims struct {
	jwt.RegisteredClaims
	Kubernetes struct {
		Namespace      string `json:"namespace"`
		ServiceAccount struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"serviceaccount"`
		Pod *struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"pod"`
	} `json:"kubernetes.io"`
}

// AssumeRoleForPodIdentity exchanges a pod's token for its association's
// role credentials.
func (s *Service) AssumeRoleForPodIdentity(ctx context.Context, region, clusterName, token string) (*PodCredentials, error) {
	cl, err := s.EKS.GetCluster(ctx, region, clusterName)
	if err != nil {
		return nil, err
	}
	claims, err := s.verify(ctx, cl, token)
	if err != nil {
		return nil, err
	}
	ns, sa := claims.Kubernetes.Namespace, claims.Kubernetes.ServiceAccount.Name
	a, err := s.EKS.PodIdentityAssociationFor(ctx, cl.UID, ns, sa)
	if err != nil {
		return nil, fmt.Errorf("find the pod identity association of %s/%s: %w", ns, sa, err)
	}
	if a == nil {
		return nil, awserr.Errorf(eks.CodeResourceNotFound, "No Pod Identity association found for the service account %s in namespace %s of cluster %s.", sa, ns, clusterName)
	}
	pod := claims.Kubernetes.Pod
	var tags map[string]string
	if !a.DisableSessionTags {
		tags = map[string]string{
			"eks-cluster-arn": cl.ARN, "eks-cluster-name": cl.Name,
			"kubernetes-namespace": ns, "kubernetes-service-account": sa,
			"kubernetes-pod-name": pod.Name, "kubernetes-pod-uid": pod.UID,
		}
	}
	// EKS names the cluster as the source, for trust policies that guard
	// against a confused deputy.
	source := map[string][]string{"aws:SourceArn": {cl.ARN}, "aws:SourceAccount": {cl.Account}}
	// The association's policy, if any, limits the pods' session (on the
	// target role's session when there is one).
	req := iam.ServiceSessionRequest{Service: Audience, RoleARN: a.RoleARN, SessionName: sessionName(cl.Name, pod.Name), Duration: sessionDuration,
		Tags: tags, Context: source}
	if a.TargetRoleARN == "" {
		req.Policy = a.Policy
	}
	creds, ok, err := s.IAM.AssumeRoleAsService(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("assume %s for pod %s/%s: %w", a.RoleARN, ns, pod.Name, err)
	}
	if !ok {
		return nil, denied(a.RoleARN)
	}
	if a.TargetRoleARN != "" {
		// The association's role assumes the target role, as EKS does for
		// a role in another account.
		target := req
		target.RoleARN, target.ExternalID, target.Caller, target.Policy = a.TargetRoleARN, a.ExternalID, creds, a.Policy
		if creds, ok, err = s.IAM.AssumeRoleAsService(ctx, target); err != nil {
			return nil, fmt.Errorf("assume target role %s for pod %s/%s: %w", a.TargetRoleARN, ns, pod.Name, err)
		} else if !ok {
			return nil, denied(a.TargetRoleARN)
		}
	}
	return &PodCredentials{Namespace: ns, ServiceAccount: sa, AssociationARN: a.AssociationARN, AssociationID: a.AssociationID, Credentials: creds}, nil
}

func denied(roleARN string) error {
	return awserr.Errorf(CodeAccessDenied, "Unauthorized to perform sts:AssumeRole and sts:TagSession on %s: its trust policy must allow the service principal %s both.", roleARN, Audience).WithStatus(http.StatusBadRequest)
}

// verify checks that token is a pod's service account token for the Pod
// Identity audience, signed by the cluster, and current.
func (s *Service) verify(ctx context.Context, cl *eks.Cluster, token string) (*serviceAccountClaims, error) {
	key, err := s.SigningKey(ctx, cl.UID)
	if err != nil {
		return nil, fmt.Errorf("signing key of cluster %s: %w", cl.Name, err)
	}
	var claims serviceAccountClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"RS256", "ES256"}), jwt.WithTimeFunc(s.Now), jwt.WithLeeway(time.Minute),
		jwt.WithIssuer(cl.Status.OIDCIssuer), jwt.WithAudience(Audience), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, awserr.Errorf(CodeExpiredToken, "The service account token has expired.").WithStatus(http.StatusBadRequest)
	case err != nil:
		return nil, awserr.Errorf(CodeInvalidToken, "The service account token is not valid: %v", err).WithStatus(http.StatusBadRequest)
	}
	k := claims.Kubernetes
	if k.Namespace == "" || k.ServiceAccount.Name == "" || k.Pod == nil || k.Pod.Name == "" ||
		claims.Subject != "system:serviceaccount:"+k.Namespace+":"+k.ServiceAccount.Name || !slices.Contains(claims.Audience, Audience) {
		return nil, awserr.Errorf(CodeInvalidToken, "The service account token is not a pod's token for %s.", Audience).WithStatus(http.StatusBadRequest)
	}
	return &claims, nil
}

// sessionName is EKS's eks-<cluster>-<pod>-<random>, cut to STS's 64
// characters.
func sessionName(cluster, pod string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	random := hex.EncodeToString(b)
	room := sessionNameLength - len("eks---") - len(random)
	c, p := cluster, pod
	if len(c)+len(p) > room {
		c = c[:min(len(c), room/3)]
		p = p[:min(len(p), room-len(c))]
	}
	return "eks-" + c + "-" + p + "-" + random
}
