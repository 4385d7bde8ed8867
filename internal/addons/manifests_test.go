package addons

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/eks"
)

// TestEveryAddonManifestParses: each object of every add-on keks offers is
// YAML whose kind, name and namespace are the ones it is applied and
// deleted by; a manifest that does not parse would leave its add-on
// CREATING for ever.
func TestEveryAddonManifestParses(t *testing.T) {
	cluster := &eks.Cluster{Name: "c", Region: "us-east-1"}
	cluster.Spec.ServiceIPv4CIDR = "10.100.0.0/16"
	for _, kind := range eks.AddonKinds {
		in := install{cluster: cluster, addon: &eks.Addon{Name: kind.Name, Version: "v1-eksbuild.1"}, registry: "registry", awsEndpoint: "https://aws", ca: "CA"}
		objs, err := in.objects()
		if err != nil {
			t.Fatalf("%s: %v", kind.Name, err)
		}
		checkObjects(t, kind.Name, objs)
	}
}

func checkObjects(t *testing.T, addon string, objs []object) {
	t.Helper()
	for _, o := range objs {
		data, err := yaml.YAMLToJSON([]byte(o.yaml))
		if err != nil {
			t.Errorf("%s: %s %s: %v", addon, o.kind, o.name, err)
			continue
		}
		var head struct {
			APIVersion, Kind string
			Metadata         struct{ Name, Namespace string }
		}
		if err := json.Unmarshal(data, &head); err != nil {
			t.Errorf("%s: %s %s: %v", addon, o.kind, o.name, err)
			continue
		}
		if head.APIVersion == "" || head.Kind != o.kind || head.Metadata.Name != o.name || head.Metadata.Namespace != o.namespace {
			t.Errorf("%s: object %s %s/%s is %s %s %s/%s", addon, o.kind, o.namespace, o.name, head.APIVersion, head.Kind, head.Metadata.Namespace, head.Metadata.Name)
		}
	}
}
