package provisioner

import (
	"fmt"
	"os"

	"github.com/google/uuid"
)

// eventComponent is the source upstream's provisioning library writes its
// events under: driver, host and a per-process UUID, so that replicas on
// one host stay apart.
func eventComponent(driver string) (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("get the hostname: %w", err)
	}
	return driver + "_" + host + "_" + uuid.NewString(), nil
}
