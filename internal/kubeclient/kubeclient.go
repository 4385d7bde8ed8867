// Package kubeclient hands out client-go clients for keks's own access to
// its clusters (the admin certificate the control plane keeps on disk), one
// per cluster, reused across reconcile passes.
package kubeclient

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Cache builds clients from keks's admin configuration of each cluster.
type Cache struct {
	// Config returns keks's admin client configuration of a cluster uid
	// (controlplane.Controller.AdminConfig: its certificate, and the
	// address its endpoint always admits to connect from).
	Config  func(clusterUID string) (*rest.Config, error)
	mu      sync.Mutex
	clients map[string]kubernetes.Interface
	watches map[string]*watches
}

// For returns the client of a cluster.
func (c *Cache) For(clusterUID string) (kubernetes.Interface, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs, ok := c.clients[clusterUID]; ok {
		return cs, nil
	}
	if c.Config == nil {
		return nil, fmt.Errorf("no client of cluster %s", clusterUID)
	}
	rc, err := c.Config(clusterUID)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	if c.clients == nil {
		c.clients = map[string]kubernetes.Interface{}
	}
	c.clients[clusterUID] = cs
	return cs, nil
}

// Set gives a cluster a client made elsewhere (a fake one, in unit tests of
// the reconcilers above client-go).
func (c *Cache) Set(clusterUID string, cs kubernetes.Interface) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clients == nil {
		c.clients = map[string]kubernetes.Interface{}
	}
	c.clients[clusterUID] = cs
}

// Forget drops a deleted cluster's client and ends its informers.
func (c *Cache) Forget(clusterUID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, clusterUID)
	c.stopWatches(clusterUID)
}

// NodeReady reports whether a node's Ready condition is True.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
