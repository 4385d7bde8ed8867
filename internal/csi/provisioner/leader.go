package provisioner

import (
	"strings"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// leaseName is upstream's lock name for a driver: ebs.csi.aws.com leads on
// the Lease ebs-csi-aws-com.
func leaseName(driver string) string {
	return sidecar.SanitizeName(strings.ReplaceAll(driver, "/", "-"))
}
