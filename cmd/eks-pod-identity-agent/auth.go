package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authClient calls EKS Auth's AssumeRoleForPodIdentity, signed with the
// node's credentials. (aws-sdk-go-v2's eksauth client is not served by the
// Go module proxy; the operation is one POST.)
type authClient struct {
	cfg     aws.Config
	cluster string
}

func (c *authClient) endpoint() string {
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return strings.TrimSuffix(*c.cfg.BaseEndpoint, "/")
	}
	return "https://eks-auth." + c.cfg.Region + ".api.aws"
}

type assumeResponse struct {
	Credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
		SessionToken    string `json:"sessionToken"`
		Expiration      int64  `json:"expiration"`
	} `json:"credentials"`
	AssumedRoleUser struct {
		ARN string `json:"arn"`
	} `json:"assumedRoleUser"`
}

func (c *authClient) assume(ctx context.Context, token string) (*credentials, error) {
	body, _ := json.Marshal(map[string]string{"token": token})
	u := c.endpoint() + "/clusters/" + url.PathEscape(c.cluster) + "/assume-role-for-pod-identity"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	node, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("the node's credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, node, req, hex.EncodeToString(sum[:]), "eks-auth", c.cfg.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call EKS Auth: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		code := resp.Header.Get("X-Amzn-ErrorType")
		if code == "" {
			code = e.Type
		}
		code, _, _ = strings.Cut(code, ":")
		return nil, &authError{status: resp.StatusCode, code: code, error: e.Message}
	}
	var out assumeResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("read EKS Auth's answer: %w", err)
	}
	account := ""
	if parts := strings.Split(out.AssumedRoleUser.ARN, ":"); len(parts) > 4 {
		account = parts[4]
	}
	cr := out.Credentials
	return &credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, Token: cr.SessionToken, AccountID: account,
		Expiration: time.Unix(cr.Expiration, 0).UTC()}, nil
}
