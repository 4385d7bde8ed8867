// Package ecrapi serves the ECR operations (AWS JSON 1.1) that keks's
// registry needs: repositories and authorization tokens.
package ecrapi

import (
	"encoding/json"
	"net/http"
	"strings"

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
	return &awsproto.Service{Name: "ecr", TargetPrefix: targetPrefix, Checks: h.checks, Handle: h.handle}
}

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// request is every member of the operations keks serves.
type request struct {
	RegistryID         *string  `json:"registryId"`
	RegistryIDs        []string `json:"registryIds"`
	RepositoryName     string   `json:"repositoryName"`
	RepositoryNames    []string `json:"repositoryNames"`
	ImageTagMutability string   `json:"imageTagMutability"`
	Force              bool     `json:"force"`
	MaxResults         *int     `json:"maxResults"`
	NextToken          string   `json:"nextToken"`
	Tags               []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"tags"`
	ImageScanningConfiguration *struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if !ok || r.Method != http.MethodPost {
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks serves ECR operations as POST with X-Amz-Target %s<Operation>", targetPrefix)
	}
	var req request
	if len(c.Body) > 0 {
		if err := json.Unmarshal(c.Body, &req); err != nil {
			return awserr.Errorf(ecr.CodeInvalidParameter, "The request body is not valid JSON for %s: %v", op, err)
		}
	}
	ctx, account := r.Context(), c.Principal.Account
	if req.RegistryID != nil {
		if err := ecr.CheckRegistry(*req.RegistryID, account); err != nil {
			return err
		}
	}
	switch op {
	case "CreateRepository":
		repo := ecr.Repository{Name: req.RepositoryName, TagMutablity: req.ImageTagMutability, Tags: map[string]string{}}
		for _, t := range req.Tags {
			repo.Tags[t.Key] = t.Value
		}
		if len(repo.Tags) != len(req.Tags) {
			return awserr.Errorf(ecr.CodeInvalidTagParameter, "Duplicate tag keys are not allowed")
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
		if req.RepositoryNames != nil && req.MaxResults != nil {
			return awserr.Errorf(ecr.CodeInvalidParameter, "Invalid parameter: maxResults cannot be specified with repositoryNames")
		}
		max := 0
		if req.MaxResults != nil {
			max = *req.MaxResults
			if max < 1 || max > 1000 {
				return awserr.Errorf(ecr.CodeInvalidParameter, "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'")
			}
		}
		rs, next, err := h.ECR.Repositories(ctx, c.Region, account, req.RepositoryNames, max, req.NextToken)
		if err != nil {
			return err
		}
		list := []map[string]any{}
		for i := range rs {
			list = append(list, h.wire(&rs[i]))
		}
		out := map[string]any{"repositories": list}
		if next != "" {
			out["nextToken"] = next
		}
		awsproto.WriteJSON(w, c.RequestID, out)
	case "DeleteRepository":
		out, err := h.ECR.DeleteRepository(ctx, c.Region, account, req.RepositoryName)
		if err != nil {
			return err
		}
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"repository": h.wire(out)})
	case "GetAuthorizationToken":
		if req.RegistryIDs != nil && (len(req.RegistryIDs) < 1 || len(req.RegistryIDs) > 10) {
			return awserr.Errorf(ecr.CodeInvalidParameter, "Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must have length between 1 and 10'")
		}
		for _, id := range req.RegistryIDs {
			if err := ecr.CheckRegistry(id, account); err != nil {
				return err
			}
		}
		token, exp := h.ECR.AuthorizationToken(c.Principal.ARN)
		awsproto.WriteJSON(w, c.RequestID, map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": token, "expiresAt": awsproto.Epoch(exp), "proxyEndpoint": "https://" + h.ECR.Host,
		}}})
	default:
		return awserr.Errorf(awserr.CodeUnknownOperation, "keks does not serve ECR %s yet", op)
	}
	return nil
}

func (h *Handler) wire(r *ecr.Repository) map[string]any {
	return map[string]any{
		"repositoryArn": r.ARN, "registryId": r.RegistryID, "repositoryName": r.Name, "repositoryUri": h.ECR.URI(r.Name),
		"createdAt": awsproto.Epoch(r.CreatedAt), "imageTagMutability": r.TagMutablity,
		"imageScanningConfiguration": map[string]bool{"scanOnPush": r.ScanOnPush},
		"encryptionConfiguration":    map[string]string{"encryptionType": "AES256"},
	}
}
