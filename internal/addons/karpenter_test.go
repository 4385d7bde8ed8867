package addons

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// The karpenter add-on applies its CRDs first, and runs the controller
// with the cluster's name, ISOLATED_VPC and keks's endpoint and CA; the
// add-on's role reaches the service account as IRSA's annotation.
func TestKarpenterObjects(t *testing.T) {
	crd := filepath.Join(t.TempDir(), "karpenter.sh_nodepools.yaml")
	if err := os.WriteFile(crd, []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: nodepools.karpenter.sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := karpenterObjects(karpenter{image: "registry/karpenter/controller:1.15.0", crdFiles: []string{crd}, cluster: "prod",
		region: "eu-west-1", awsEndpoint: "https://aws.keks:4566", ca: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
		roleARN: "arn:aws:iam::123456789012:role/karpenter"})
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, "karpenter", objs)
	if objs[0].kind != "CustomResourceDefinition" || objs[0].name != "nodepools.karpenter.sh" {
		t.Fatalf("first object = %s %s, want the CRD", objs[0].kind, objs[0].name)
	}
	var d appsv1.Deployment
	var sa corev1.ServiceAccount
	for _, o := range objs {
		switch o.kind {
		case "Deployment":
			if err := yaml.Unmarshal([]byte(o.yaml), &d); err != nil {
				t.Fatal(err)
			}
		case "ServiceAccount":
			if err := yaml.Unmarshal([]byte(o.yaml), &sa); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sa.Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/karpenter" {
		t.Errorf("service account annotations = %v", sa.Annotations)
	}
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for k, want := range map[string]string{"CLUSTER_NAME": "prod", "ISOLATED_VPC": "true", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL": "https://aws.keks:4566", "AWS_CA_BUNDLE": "/etc/keks/aws-ca/ca.crt"} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	if c.Image != "registry/karpenter/controller:1.15.0" || d.Spec.Template.Spec.ServiceAccountName != "karpenter" || *d.Spec.Replicas != 2 {
		t.Errorf("deployment = %s as %s", c.Image, d.Spec.Template.Spec.ServiceAccountName)
	}
}
