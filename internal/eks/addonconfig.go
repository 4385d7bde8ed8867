package eks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// CoreDNSConfig is the part of the coredns add-on's configuration schema
// keks honours: where it runs (computeType "Fargate" lets a Fargate profile
// for kube-system k8s-app=kube-dns take its pods; "EC2" keeps them off
// Fargate with the eks.amazonaws.com/compute-type: ec2 annotation), how
// many replicas, and their resources.
type CoreDNSConfig struct {
	ComputeType  string            `json:"computeType,omitempty"`
	ReplicaCount *int              `json:"replicaCount,omitempty"`
	Resources    *CoreDNSResources `json:"resources,omitempty"`
}

// CoreDNSResources are the coredns container's requests and limits.
type CoreDNSResources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// ParseCoreDNSConfig reads a coredns add-on's configurationValues (JSON;
// empty is the defaults), refusing what the schema does not define with
// EKS's message.
func ParseCoreDNSConfig(values string) (*CoreDNSConfig, error) {
	cfg := &CoreDNSConfig{}
	if strings.TrimSpace(values) == "" {
		return cfg, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(values)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		field := err.Error()
		if f, ok := strings.CutPrefix(field, "json: unknown field "); ok {
			field = "$." + strings.Trim(f, `"`) + ": is not defined in the schema and the schema does not allow additional properties"
		}
		return nil, fmt.Errorf("Json schema validation failed with error: [%s]", field)
	}
	switch cfg.ComputeType {
	case "", "Fargate", "EC2", "fargate", "ec2":
	default:
		return nil, fmt.Errorf("Json schema validation failed with error: [$.computeType: does not have a value in the enumeration [EC2, Fargate]]")
	}
	if cfg.ReplicaCount != nil && (*cfg.ReplicaCount < 1 || *cfg.ReplicaCount > 1000) {
		return nil, fmt.Errorf("Json schema validation failed with error: [$.replicaCount: must have a minimum value of 1]")
	}
	return cfg, nil
}
