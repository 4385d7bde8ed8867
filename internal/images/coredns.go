package images

import v1 "github.com/google/go-containerregistry/pkg/v1"

// CoreDNS is EKS's eks/coredns as EKS Distro builds it (eks-distro's
// projects/coredns/coredns/docker/linux/Dockerfile on its minimal base):
// keks's CoreDNS build at /coredns, ENTRYPOINT ["/coredns"], EXPOSE 53
// 53/udp, and the base's USER 0 and PATH. The add-on's Deployment adds
// NET_BIND_SERVICE for port 53, as EKS's does.
func CoreDNS(binary string) (v1.Image, error) {
	return onEKSDistroBase(binary, "0", "CoreDNS (keks build): /coredns on EKS Distro's minimal base layout", func(c *v1.Config) {
		c.ExposedPorts = map[string]struct{}{"53/tcp": {}, "53/udp": {}}
	})
}
