package eksctl

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// LoadFile reads a ClusterConfig file strictly, as eksctl does: an unknown
// or duplicated field is an error, not something silently ignored.
func LoadFile(path string) (*ClusterConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config file %q: %w", path, err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("loading config file %q: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes a ClusterConfig document strictly.
func Parse(data []byte) (*ClusterConfig, error) {
	cfg := &ClusterConfig{}
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, err
	}
	if cfg.APIVersion != APIVersion {
		return nil, fmt.Errorf("unsupported apiVersion %q: expected %q", cfg.APIVersion, APIVersion)
	}
	if cfg.Kind != Kind {
		return nil, fmt.Errorf("unsupported kind %q: expected %q", cfg.Kind, Kind)
	}
	if cfg.VPC == nil {
		cfg.VPC = &ClusterVPC{}
	}
	if cfg.IAM == nil {
		cfg.IAM = &ClusterIAM{}
	}
	return cfg, nil
}

// YAML renders the config as eksctl's --dry-run prints it.
func (cfg *ClusterConfig) YAML() ([]byte, error) { return yaml.Marshal(cfg) }
