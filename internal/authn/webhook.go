package authn

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Webhook answers kube-apiserver's TokenReviews for one cluster.
type Webhook struct {
	Verifier *Verifier
	// Cluster returns the cluster's identity-mapping facts.
	Cluster func() (ClusterIdentity, error)
	Log     *slog.Logger
}

type tokenReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Token     string   `json:"token"`
		Audiences []string `json:"audiences,omitempty"`
	} `json:"spec"`
	Status reviewStatus `json:"status"`
}

type reviewStatus struct {
	Authenticated bool      `json:"authenticated"`
	User          *UserInfo `json:"user,omitempty"`
	Error         string    `json:"error,omitempty"`
}

// UserInfo is the Kubernetes user a token maps to.
type UserInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review tokenReview
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &review) != nil || r.Method != http.MethodPost {
		http.Error(w, "expected a TokenReview", http.StatusBadRequest)
		return
	}
	out := tokenReview{APIVersion: review.APIVersion, Kind: "TokenReview"}
	if out.APIVersion == "" {
		out.APIVersion = "authentication.k8s.io/v1"
	}
	status := http.StatusOK
	user, err := h.authenticate(r.Context(), review.Spec.Token)
	if err != nil {
		status = http.StatusForbidden
		out.Status = reviewStatus{Error: err.Error()}
		if strings.HasPrefix(review.Spec.Token, TokenPrefix) {
			h.Log.Info("token refused", "err", err)
		}
	} else {
		out.Status = reviewStatus{Authenticated: true, User: user}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

func (h *Webhook) authenticate(ctx context.Context, token string) (*UserInfo, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, fmt.Errorf("not an EKS token")
	}
	cl, err := h.Cluster()
	if err != nil {
		return nil, err
	}
	p, err := h.Verifier.Verify(ctx, token, cl.Name)
	if err != nil {
		return nil, err
	}
	h.Log.Info("authenticated", "arn", p.ARN, "accessKeyId", p.AccessKeyID)
	return MapIdentity(cl, p)
}
