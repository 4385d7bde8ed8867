// Package kmsplugin is the KMS v2 plugin beside each API server of a
// cluster whose secrets are encrypted (`keks kms-plugin`), as EKS runs one
// beside each of its API servers: kube-apiserver asks it over a unix socket
// (k8s.io/kms's KeyManagementService) to encrypt and decrypt its data
// encryption keys, and the plugin has keks's KMS do that with the cluster's
// key, signing as the cluster's IAM role. kube-apiserver already caches the
// keys it generates, so the plugin keeps none: every Encrypt and Decrypt is
// one KMS call.
//
// keks's control plane writes the plugin's configuration and a session of
// the cluster role, which it renews; the plugin rereads both, so neither a
// renewal nor a new keks endpoint needs a restart. When KMS refuses the
// role (a key policy or IAM policy that no longer allows it, a disabled
// key), Status says so, and kube-apiserver's kms-providers health check
// with it: as on EKS, a revoked key breaks the cluster's Secrets.
package kmsplugin
