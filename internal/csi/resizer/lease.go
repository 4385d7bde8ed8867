package resizer

import "github.com/keksdev/keks/internal/csi/sidecar"

// leaseName is upstream's: one Lease per driver, whoever runs it.
func leaseName(driverName string) string {
	return sidecar.SanitizeName("external-resizer-" + sidecar.SanitizeName(driverName))
}
