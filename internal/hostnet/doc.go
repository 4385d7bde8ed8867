// Package hostnet holds the host's rules for the instances it runs, made
// by whoever runs them there (keks's node controller on its own host, the
// agent on an agent's host): NAT for their subnets and pods, the refusal of
// Service ranges no kube-proxy took, the redirect of 169.254.169.254 to a
// metadata service, and the kernel limits instances draw on. Each function
// is idempotent, and asks iptables only what it must.
package hostnet

// PodNetwork holds every pod address: each node takes a /26 of it.
const PodNetwork = "100.64.0.0/10"
