package images

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// AWSCheck is keks/aws-check: busybox with the aws-check program (built
// from keks's cmd/aws-check with aws-sdk-go-v2), which shows the AWS
// identity a pod's SDK finds and makes one call as it:
//
//	kubectl run check --rm -it --image=keks/aws-check --overrides='{"spec":{"serviceAccountName":"app"}}'
func AWSCheck(bb BusyboxBinary, program string) (v1.Image, error) {
	return programOnBusybox(bb, program, "aws-check", "keks/aws-check: aws-check")
}

// PodIdentityAgent is eks/eks-pod-identity-agent: keks's agent (cmd/
// eks-pod-identity-agent) on busybox, run by the add-on's DaemonSet.
func PodIdentityAgent(bb BusyboxBinary, program string) (v1.Image, error) {
	return programOnBusybox(bb, program, "eks-pod-identity-agent", "eks/eks-pod-identity-agent: keks's agent")
}

// programOnBusybox is busybox with one of keks's programs (built by make
// keks beside keks) as /usr/local/bin/<name> and the entrypoint. Dated at
// the epoch like the test images, so a rebuilt program is pushed again only
// when its bytes change.
func programOnBusybox(bb BusyboxBinary, program, name, createdBy string) (v1.Image, error) {
	data, err := os.ReadFile(program)
	if err != nil {
		return nil, fmt.Errorf("read %s (make keks builds it beside keks): %w", name, err)
	}
	l, _, version, err := bb.root()
	if err != nil {
		return nil, err
	}
	l.file("usr/local/bin/"+name, data, 0o755)
	return image(l, epoch, createdBy+" on BusyBox "+version, func(c *v1.Config) {
		c.Entrypoint = []string{"/usr/local/bin/" + name}
	})
}
