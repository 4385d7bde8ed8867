package addons

import "testing"

func TestPluralNamesEveryKindAnAddonApplies(t *testing.T) {
	for kind, want := range map[string]string{
		"Deployment": "deployments", "ServiceAccount": "serviceaccounts", "StorageClass": "storageclasses",
		"NetworkPolicy": "networkpolicies", "APIService": "apiservices", "CustomResourceDefinition": "customresourcedefinitions",
		"VolumeSnapshotClass": "volumesnapshotclasses", "CSIDriver": "csidrivers", "PodDisruptionBudget": "poddisruptionbudgets",
		"MutatingWebhookConfiguration": "mutatingwebhookconfigurations", "RoleBinding": "rolebindings", "DaemonSet": "daemonsets",
	} {
		if got := plural(kind); got != want {
			t.Errorf("plural(%s) = %s, want %s", kind, got, want)
		}
	}
}

func TestObjectPath(t *testing.T) {
	for _, c := range []struct {
		o        object
		manifest string
		want     string
	}{
		{object{kind: "ConfigMap", namespace: "kube-system", name: "x"}, `{"apiVersion":"v1"}`, "/api/v1/namespaces/kube-system/configmaps/x"},
		{object{kind: "APIService", name: "v1beta1.metrics.k8s.io"}, `{"apiVersion":"apiregistration.k8s.io/v1"}`, "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io"},
		{object{kind: "Deployment", namespace: "kube-system", name: "d"}, `{"apiVersion":"apps/v1"}`, "/apis/apps/v1/namespaces/kube-system/deployments/d"},
	} {
		got, err := c.o.path([]byte(c.manifest))
		if err != nil || got != c.want {
			t.Errorf("path(%v) = %q, %v; want %q", c.o, got, err, c.want)
		}
	}
	if _, err := (object{kind: "X", name: "y"}).path([]byte(`{}`)); err == nil {
		t.Error("a manifest without apiVersion has a path")
	}
}
