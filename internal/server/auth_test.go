package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func apiErrorCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode()
}

func TestUnsignedRequestIsRefused(t *testing.T) {
	for _, path := range []string{"/clusters", "/clusters/x", "/cluster-versions"} {
		resp, err := testServer.http.Get(testServer.models.Endpoint + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
			t.Errorf("GET %s unsigned: %d %s %s", path, resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil || m["message"] == nil {
			t.Errorf("error body is not AWS-shaped JSON: %s", body)
		}
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	b := testServer.models.Bootstrap
	_, err := eks.NewFromConfig(awsConfig(b.AccessKeyID, "wrong-secret-wrong-secret-wrong-secret00")).ListClusters(context.Background(), &eks.ListClustersInput{})
	if code := apiErrorCode(t, err); code != "InvalidSignatureException" {
		t.Fatalf("wrong secret: got %s", code)
	}
	_, err = sts.NewFromConfig(awsConfig(b.AccessKeyID, "wrong-secret-wrong-secret-wrong-secret00")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if code := apiErrorCode(t, err); code != "SignatureDoesNotMatch" {
		t.Fatalf("STS wrong secret: got %s", code)
	}
}

func TestUnknownKeyIsRefused(t *testing.T) {
	_, err := eks.NewFromConfig(awsConfig("AKIAAAAAAAAAAAAAAAAA", "x")).ListClusters(context.Background(), &eks.ListClustersInput{})
	if code := apiErrorCode(t, err); code != "UnrecognizedClientException" {
		t.Fatalf("unknown key: got %s", code)
	}
}

func TestExpiredSignatureIsRefused(t *testing.T) {
	// The SDK signs with the current clock; make the request by hand with an old date instead.
	req, _ := http.NewRequest(http.MethodGet, testServer.models.Endpoint+"/clusters", nil)
	old := time.Now().Add(-20 * time.Minute).UTC()
	req.Header.Set("X-Amz-Date", old.Format("20060102T150405Z"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testServer.models.Bootstrap.AccessKeyID+"/"+old.Format("20060102")+"/us-east-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	resp, err := testServer.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "InvalidSignatureException" {
		t.Fatalf("expired signature: %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}

func TestUnknownOperation(t *testing.T) {
	client := eks.NewFromConfig(awsConfig())
	// A path the EKS model does not have, signed correctly.
	_, err := client.ListClusters(context.Background(), &eks.ListClustersInput{}, func(o *eks.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Serialize.Add(middleware.SerializeMiddlewareFunc("badpath", func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				if r, ok := in.Request.(*smithyhttp.Request); ok {
					r.URL.Path = "/no-such-operation"
				}
				return next.HandleSerialize(ctx, in)
			}), middleware.After)
		})
	})
	if code := apiErrorCode(t, err); code != "UnknownOperationException" {
		t.Fatalf("unknown operation: got %s", code)
	}
}
