package images

import "testing"

// TestPlatformNames: the nodes' mirrors ask keks's registry for docker.io's
// and registry.k8s.io's images by the names those registries use; these
// are the ones the Kubernetes docs pull.
func TestPlatformNames(t *testing.T) {
	platform := Platform(Sources{CoreDNS: "/nonexistent/coredns", CoreDNSTag: "v0-eksbuild.1", Busybox: "/nonexistent/busybox", Programs: "/nonexistent",
		AgentTag: "v0-eksbuild.1", Upstream: map[string]string{"eks/metrics-server:v0-eksbuild.1": "/nonexistent/metrics-server"}})
	for _, name := range []string{
		"pause:3.10",             // the sandbox image, registry.k8s.io/pause:3.10
		"library/busybox:latest", // kubectl run --image=busybox
		"library/busybox:1.28",   // init containers, DNS debugging, most task pages
		"busybox:latest",         // registry.k8s.io/busybox: probes, downward API
		"busybox:1.27.2",         // registry.k8s.io/busybox:1.27.2: liveness probes
		"eks/pause:3.10",
		"eks/coredns:v0-eksbuild.1",
		"keks/aws-check:latest", // kubectl run --image=keks/aws-check: who a pod is to AWS
		"eks/eks-pod-identity-agent:v0-eksbuild.1",
		"eks/metrics-server:v0-eksbuild.1",
	} {
		if platform[name] == nil {
			t.Errorf("%s is not seeded", name)
		}
	}
}
