// Package eksauthapi serves the EKS Auth API (service eks-auth, REST-JSON):
// AssumeRoleForPodIdentity, the one operation, which the Pod Identity
// agent calls with a node's credentials.
package eksauthapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/eksauth"
)

// Handler serves EKS Auth.
type Handler struct {
	Auth *eksauth.Service
}

// Service returns the front door's entry for EKS Auth.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "eks-auth", Checks: h.checks, Handle: h.handle}
}

// The model's patterns: a cluster's name and a JWT's three parts.
var (
	clusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)
	jwtToken    = regexp.MustCompile(`^[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+$`)
)

// clusterOf reads POST /clusters/{clusterName}/assume-role-for-pod-identity.
func clusterOf(r *http.Request) (string, bool) {
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 3 || parts[0] != "clusters" || parts[2] != "assume-role-for-pod-identity" {
		return "", false
	}
	return parts[1], true
}

// checks: eks-auth:AssumeRoleForPodIdentity on the cluster, which the
// nodes' AmazonEKSWorkerNodePolicy allows.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	name, ok := clusterOf(r)
	if !ok {
		return nil // not an operation of EKS Auth: the handler says so
	}
	resource := "*"
	if clusterName.MatchString(name) {
		resource = "arn:aws:eks:" + c.Region + ":" + c.Principal.Account + ":cluster/" + name
	}
	return []awsproto.Check{{Action: "eks-auth:AssumeRoleForPodIdentity", Resource: resource}}
}

type request struct {
	Token string `json:"token"`
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name, ok := clusterOf(r)
	if !ok {
		return awserr.Errorf(awserr.CodeUnknownOperation, "EKS Auth has no operation at %s %s.", r.Method, r.URL.Path)
	}
	var in request
	if len(c.Body) > 0 {
		if err := json.Unmarshal(c.Body, &in); err != nil {
			return awserr.Errorf(eks.CodeInvalidParameter, "The request body is not valid JSON: %v", err)
		}
	}
	if !clusterName.MatchString(name) {
		return awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '%s' at 'clusterName' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9A-Za-z][A-Za-z0-9\\-_]* and have length between 1 and 100", name)
	}
	if !jwtToken.MatchString(in.Token) {
		return awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value at 'token' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=]+\\.[A-Za-z0-9-_=]+\\.[A-Za-z0-9-_=]+")
	}
	got, err := h.Auth.AssumeRoleForPodIdentity(r.Context(), c.Region, name, in.Token)
	if err != nil {
		return err
	}
	cr := got.Credentials
	out := map[string]any{
		"subject":                map[string]string{"namespace": got.Namespace, "serviceAccount": got.ServiceAccount},
		"audience":               eksauth.Audience,
		"podIdentityAssociation": map[string]string{"associationArn": got.AssociationARN, "associationId": got.AssociationID},
		"assumedRoleUser":        map[string]string{"arn": cr.AssumedRoleARN, "assumeRoleId": cr.AssumedRoleID},
		"credentials": map[string]any{"accessKeyId": cr.AccessKeyID, "secretAccessKey": cr.SecretAccessKey,
			"sessionToken": cr.SessionToken, "expiration": cr.Expiration.Unix()},
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}
