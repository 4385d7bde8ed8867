package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keksdev/keks/test/harness"
)

// canary is a Secret's value that etcd must never hold in the clear.
const canary = "plaintext-canary"

// TestSecretsEncryptedAtCreate: a cluster created with an encryptionConfig
// stores Secrets as KMS v2 ciphertext (read straight from an etcd member),
// serves them in the clear to kubectl, and loses its Secrets' health when
// the cluster role may no longer use the key, as on EKS.
func TestSecretsEncryptedAtCreate(t *testing.T) {
	e := harness.New(t)
	const name = "encrypted"
	role, key := encryptionRoleAndKey(t, e, "encryptedClusterRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role,
		"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","),
		"--encryption-config", `[{"resources":["secrets"],"provider":{"keyArn":"`+key+`"}}]`)
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	var d struct {
		Cluster struct {
			EncryptionConfig []struct {
				Resources []string
				Provider  struct{ KeyArn string }
			}
		}
	}
	e.JSON(&d, "aws", "eks", "describe-cluster", "--name", name)
	if ec := d.Cluster.EncryptionConfig; len(ec) != 1 || ec[0].Provider.KeyArn != key {
		t.Fatalf("describe-cluster's encryptionConfig: %+v", ec)
	}
	for _, in := range e.Instances(name) {
		if in.Role == "kms-plugin" && (!in.Healthy || !in.Running) {
			t.Fatalf("KMS plugin %s: healthy %v, running %v", in.Name, in.Healthy, in.Running)
		}
	}
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	e.Run("kubectl", "create", "secret", "generic", "s", "--from-literal=k="+canary)
	wantCiphertext(t, e, name, "/registry/secrets/default/s")
	wantSecretValue(t, e, "s")

	// Revoked: the role may no longer use the key. The plugins say so, and
	// kube-apiserver's KMS health check with them (each API server is asked
	// directly: the endpoint drops API servers that are not ready).
	e.Run("aws", "iam", "delete-role-policy", "--role-name", "encryptedClusterRole", "--policy-name", "secrets-encryption")
	admin, apiServer := adminKubeconfig(t, e), ""
	for _, in := range e.Instances(name) {
		if in.Role == "kube-apiserver" {
			apiServer = in.Address
		}
	}
	harness.Eventually(t, 3*time.Minute, "kube-apiserver's KMS health check reports the refusal", func() error {
		out, err := e.Try("kubectl", "--kubeconfig", admin, "--server", "https://"+apiServer+":443", "get", "--raw", "/healthz/kms-providers")
		if err == nil {
			return fmt.Errorf("/healthz/kms-providers still passes: %s", out)
		}
		if !strings.Contains(err.Error(), "AccessDenied") {
			return fmt.Errorf("/healthz/kms-providers fails, but not for the refusal: %v", err)
		}
		return nil
	})
}

// TestSecretsEncryptedByAssociation: a cluster made without encryption
// stores Secrets in the clear; AssociateEncryptionConfig rolls its API
// servers and writes every existing Secret again, and once the update is
// Successful the Secret made before is ciphertext in etcd.
func TestSecretsEncryptedByAssociation(t *testing.T) {
	harness.Long(t, "about 2 minutes; TestSecretsEncryptedAtCreate checks the same encryption from a cluster's creation")
	e := harness.New(t)
	const name = "associated"
	role, key := encryptionRoleAndKey(t, e, "associatedClusterRole")
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", role,
		"--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)
	e.Run("kubectl", "create", "secret", "generic", "s", "--from-literal=k="+canary)
	if v := etcdValue(t, e, name, "/registry/secrets/default/s"); !strings.Contains(v, canary) {
		t.Fatalf("before encryption, etcd holds %q; want the Secret in the clear", v)
	}

	var out struct {
		Update struct{ Id, Type, Status string }
	}
	e.JSON(&out, "aws", "eks", "associate-encryption-config", "--cluster-name", name,
		"--encryption-config", `[{"resources":["secrets"],"provider":{"keyArn":"`+key+`"}}]`)
	if out.Update.Type != "AssociateEncryptionConfig" || out.Update.Status != "InProgress" {
		t.Fatalf("associate-encryption-config answered %+v", out.Update)
	}
	harness.Eventually(t, 10*time.Minute, "the AssociateEncryptionConfig update succeeds", func() error {
		status, err := e.Try("aws", "eks", "describe-update", "--name", name, "--update-id", out.Update.Id, "--query", "update.status", "--output", "text")
		if err != nil {
			return err
		}
		if s := strings.TrimSpace(status); s != "Successful" {
			return fmt.Errorf("update %s is %s", out.Update.Id, s)
		}
		return nil
	})
	wantCiphertext(t, e, name, "/registry/secrets/default/s")
	wantSecretValue(t, e, "s")
	if _, err := e.Try("aws", "eks", "associate-encryption-config", "--cluster-name", name,
		"--encryption-config", `[{"resources":["secrets"],"provider":{"keyArn":"`+key+`"}}]`); err == nil || !strings.Contains(err.Error(), "already enabled") {
		t.Fatalf("a second association: %v", err)
	}
}

// encryptionRoleAndKey makes a KMS key and a cluster role whose policy lets
// it use the key, as EKS's documentation asks, and returns their ARNs.
func encryptionRoleAndKey(t *testing.T, e *harness.Env, roleName string) (role, key string) {
	t.Helper()
	key = strings.TrimSpace(e.Run("aws", "kms", "create-key", "--description", "Secrets of "+roleName, "--query", "KeyMetadata.Arn", "--output", "text"))
	role = e.ClusterRole(roleName)
	e.Run("aws", "iam", "put-role-policy", "--role-name", roleName, "--policy-name", "secrets-encryption", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey","kms:CreateGrant"],"Resource":"`+key+`"}]}`)
	return role, key
}

// wantCiphertext checks that etcd holds key as KMS v2 ciphertext, without
// the canary.
func wantCiphertext(t *testing.T, e *harness.Env, cluster, key string) {
	t.Helper()
	v := etcdValue(t, e, cluster, key)
	if !strings.HasPrefix(v, "k8s:enc:kms:v2:") || strings.Contains(v, canary) {
		t.Fatalf("etcd holds %s as %q; want k8s:enc:kms:v2: ciphertext without %q", key, v[:min(len(v), 120)], canary)
	}
}

// wantSecretValue checks that kubectl still reads the Secret's value.
func wantSecretValue(t *testing.T, e *harness.Env, name string) {
	t.Helper()
	enc := e.Run("kubectl", "get", "secret", name, "-o", "jsonpath={.data.k}")
	if v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc)); err != nil || string(v) != canary {
		t.Fatalf("kubectl get secret %s: %q (%v); want %q", name, v, err, canary)
	}
}

// etcdValue reads key straight from the cluster's etcd members, with the
// API servers' etcd client certificate.
func etcdValue(t *testing.T, e *harness.Env, cluster, key string) string {
	t.Helper()
	pki := clusterPKI(t, e)
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "apiserver-etcd-client.crt"), filepath.Join(pki, "apiserver-etcd-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(filepath.Join(pki, "etcd-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	var endpoints []string
	for _, in := range e.Instances(cluster) {
		if in.Role == "etcd" {
			endpoints = append(endpoints, "https://"+in.Address+":2379")
		}
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, key)
	if err != nil {
		t.Fatalf("etcd get %s: %v", key, err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("etcd has no %s", key)
	}
	return string(resp.Kvs[0].Value)
}

// clusterPKI is the certificate directory of the test's one cluster.
func clusterPKI(t *testing.T, e *harness.Env) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(e.Dir, "data", "clusters", "*", "pki"))
	if len(dirs) != 1 {
		t.Fatalf("want one cluster's pki directory, found %v", dirs)
	}
	return dirs[0]
}

// adminKubeconfig is keks's own kubeconfig of the test's one cluster.
func adminKubeconfig(t *testing.T, e *harness.Env) string {
	t.Helper()
	return filepath.Join(filepath.Dir(clusterPKI(t, e)), "kubeconfig", "keks-admin.kubeconfig")
}
