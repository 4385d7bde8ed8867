// Package k8sbuild builds the Kubernetes components of one version (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
// kube-proxy, kubectl) from the Go module proxy into one multi-call binary,
// in a module of its own so keks's module stays light.
package k8sbuild
