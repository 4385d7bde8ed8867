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
//
// Dated at the epoch like the test images, so a rebuilt program is pushed
// again only when its bytes change.
func AWSCheck(bb BusyboxBinary, program string) (v1.Image, error) {
	data, err := os.ReadFile(program)
	if err != nil {
		return nil, fmt.Errorf("read aws-check (make keks builds it beside keks): %w", err)
	}
	l, _, version, err := bb.root()
	if err != nil {
		return nil, err
	}
	l.file("usr/local/bin/aws-check", data, 0o755)
	return image(l, epoch, "keks/aws-check: aws-check on BusyBox "+version, func(c *v1.Config) {
		c.Entrypoint = []string{"/usr/local/bin/aws-check"}
	})
}
