// Package controlplane converges each cluster's control plane to its spec:
// a 3-member TLS etcd, two API server instances in different availability
// zones (each with kube-apiserver, kube-controller-manager and
// kube-scheduler), and the endpoint load balancer in front of them. It
// watches their health, replaces what dies, rolls upgrades, and tears it all
// down when the cluster is deleted.
package controlplane
