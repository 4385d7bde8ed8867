// Package cplogs ships the control plane's logs to CloudWatch Logs, as EKS
// does when a cluster's logging types are enabled: each API server
// instance's kube-apiserver, audit, authenticator, kube-controller-manager
// and kube-scheduler lines go to the log group /aws/eks/<cluster>/cluster,
// in the streams EKS names (kube-apiserver-<id>, kube-apiserver-audit-<id>,
// authenticator-<id>, kube-controller-manager-<id>, kube-scheduler-<id>,
// <id> being 32 hex digits per instance).
//
// A type ships what its processes write from the moment it is enabled
// until it is disabled: the shipper reads the log files the control plane
// writes (clusters/<uid>/logs) from where it last stopped, keeps its
// places in a state file so a keks restart neither repeats nor skips
// lines, and polls each second only while some cluster has a type on;
// otherwise it sleeps until a cluster changes.
package cplogs
