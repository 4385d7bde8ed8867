package eksapi

import (
	"net/http/httptest"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
)

// TestAssociateEncryptionConfigRoute: botocore's path for the operation,
// authorized as eks:AssociateEncryptionConfig on the path's cluster.
func TestAssociateEncryptionConfigRoute(t *testing.T) {
	r := httptest.NewRequest("POST", "/clusters/dev/encryption-config/associate", nil)
	rt, labels, err := findRoute(r)
	if err != nil || rt.action != "AssociateEncryptionConfig" || rt.on != onCluster || len(labels) != 1 || labels[0] != "dev" {
		t.Fatalf("route %+v %v %v", rt, labels, err)
	}
	h := &Handler{}
	c := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: "123456789012"},
		Body: []byte(`{"encryptionConfig":[{"resources":["secrets"],"provider":{"keyArn":"arn:aws:kms:us-east-1:123456789012:key/0b5e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"}}]}`)}
	checks := h.checks(r, c)
	if len(checks) != 1 || checks[0].Action != "eks:AssociateEncryptionConfig" || checks[0].Resource != "arn:aws:eks:us-east-1:123456789012:cluster/dev" {
		t.Fatalf("checks without a KMS to resolve keys: %+v", checks)
	}
}
