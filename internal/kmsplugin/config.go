package kmsplugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is the plugin's configuration file, written by keks's control plane.
type Config struct {
	// Socket is the unix socket kube-apiserver reaches the plugin on.
	Socket string `json:"socket"`
	// KeyARN is the KMS key (or alias) that encrypts the cluster's data keys.
	KeyARN string `json:"keyArn"`
	// Region is the cluster's, and so the key's, region.
	Region string `json:"region"`
	// Endpoint is keks's AWS endpoint (https://host:port).
	Endpoint string `json:"endpoint"`
	// CABundle is a PEM file with the CA keks's endpoint certificate chains
	// to; empty trusts the system's roots.
	CABundle string `json:"caBundle,omitempty"`
	// SessionFile holds the session of the cluster's IAM role the plugin
	// signs with (see Session); keks renews it in place.
	SessionFile string `json:"sessionFile"`
}

// LoadConfig reads and checks a configuration file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read KMS plugin configuration: %w", err)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse KMS plugin configuration %s: %w", path, err)
	}
	var missing []error
	for name, v := range map[string]string{"socket": c.Socket, "keyArn": c.KeyARN, "region": c.Region, "endpoint": c.Endpoint, "sessionFile": c.SessionFile} {
		if v == "" {
			missing = append(missing, fmt.Errorf("%s is required", name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, fmt.Errorf("KMS plugin configuration %s: %w", path, err)
	}
	return &c, nil
}

// writeFileAtomic writes through a temporary file and a rename, so that a
// reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install %s: %w", path, err)
	}
	return nil
}
