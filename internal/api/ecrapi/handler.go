// Package ecrapi serves the ECR operations (AWS JSON 1.1) that keks's
// registry needs: repositories and authorization tokens.
package ecrapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ecr"
)

// Handler serves ECR.
type Handler struct {
	ECR *ecr.Service
}

// Service returns the front door's entry for ECR.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "ecr", Handle: h.handle}
}

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Time(e).UnixMilli()) / 1000)
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || r.Method != http.MethodPost {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves ECR operations as POST with X-Amz-Target %s<Operation>", targetPrefix)
	}
	var req struct {
		RepositoryName     string   `json:"repositoryName"`
		RepositoryNames    []string `json:"repositoryNames"`
		ImageTagMutability string   `json:"imageTagMutability"`
		Force              bool     `json:"force"`
		Tags               []struct {
			Key   string `json:"Key"`
			Value string `json:"Value"`
		} `json:"tags"`
		ImageScanningConfiguration *struct {
			ScanOnPush bool `json:"scanOnPush"`
		} `json:"imageScanningConfiguration"`
	}
	if len(c.Body) > 0 {
		if err := json.Unmarshal(c.Body, &req); err != nil {
			return awserr.Errorf(ecr.CodeInvalidParameter, "The request body is not valid JSON: %v", err)
		}
	}
	ctx, account := r.Context(), c.Principal.Account
	switch op {
	case "CreateRepository":
		repo := ecr.Repository{Name: req.RepositoryName, TagMutablity: req.ImageTagMutability, Tags: map[string]string{}}
		for _, t := range req.Tags {
			repo.Tags[t.Key] = t.Value
		}
		if req.ImageScanningConfiguration != nil {
			repo.ScanOnPush = req.ImageScanningConfiguration.ScanOnPush
		}
		out, err := h.ECR.CreateRepository(ctx, c.Region, account, repo)
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"repository": h.wire(out)})
	case "DescribeRepositories":
		rs, err := h.ECR.Repositories(ctx, c.Region, account, req.RepositoryNames)
		if err != nil {
			return err
		}
		list := []map[string]any{}
		for i := range rs {
			list = append(list, h.wire(&rs[i]))
		}
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"repositories": list})
	case "DeleteRepository":
		out, err := h.ECR.DeleteRepository(ctx, c.Region, account, req.RepositoryName)
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"repository": h.wire(out)})
	case "GetAuthorizationToken":
		token, exp := h.ECR.AuthorizationToken(c.Principal.ARN)
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": token, "expiresAt": epoch(exp), "proxyEndpoint": "https://" + h.ECR.Host,
		}}})
	default:
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve ECR %s yet", op)
	}
	return nil
}

func (h *Handler) wire(r *ecr.Repository) map[string]any {
	return map[string]any{
		"repositoryArn": r.ARN, "registryId": r.RegistryID, "repositoryName": r.Name, "repositoryUri": h.ECR.URI(r.Name),
		"createdAt": epoch(r.CreatedAt), "imageTagMutability": r.TagMutablity,
		"imageScanningConfiguration": map[string]bool{"scanOnPush": r.ScanOnPush},
		"encryptionConfiguration":    map[string]string{"encryptionType": "AES256"},
	}
}
