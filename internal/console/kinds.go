package console

import (
	"context"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
)

// The kinds the Resources tab offers, as the AWS console groups them, and
// custom resources by their definitions.

// kind is a resource type of the side list: its path segment (the
// resource's plural), API group, version and scope.
type kind struct {
	Slug, Title, Kind string
	Group, Version    string
	Namespaced        bool
	// Logs: its pods' logs can be read together (a workload with a selector).
	Logs bool
	// Wide are the kubectl -o wide columns the list shows too.
	Wide []string
	// Resource is a custom resource's plural (its Slug is plural.group);
	// a built-in kind's is its Slug.
	Resource string
	// Custom is a kind a CustomResourceDefinition defines.
	Custom bool
}

func (k kind) resource() string {
	if k.Resource != "" {
		return k.Resource
	}
	return k.Slug
}

func (k kind) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.resource()}
}

// apiPath is the REST path of the kind's objects (in namespace ns, all
// when empty), or of one object when name is given.
func (k kind) apiPath(ns, name string) string {
	p := "/api/" + k.Version
	if k.Group != "" {
		p = "/apis/" + k.Group + "/" + k.Version
	}
	if k.Namespaced && ns != "" {
		p += "/namespaces/" + url.PathEscape(ns)
	}
	p += "/" + k.resource()
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

// kindGroup is a heading of the side list with its kinds.
type kindGroup struct {
	Title string
	Kinds []kind
}

// kindGroups are the resource types grouped as the EKS console groups them.
var kindGroups = []kindGroup{
	{"Workloads", []kind{
		{Slug: "pods", Title: "Pods", Kind: "Pod", Version: "v1", Namespaced: true, Wide: []string{"IP", "Node"}},
		{Slug: "deployments", Title: "Deployments", Kind: "Deployment", Group: "apps", Version: "v1", Namespaced: true, Logs: true},
		{Slug: "replicasets", Title: "ReplicaSets", Kind: "ReplicaSet", Group: "apps", Version: "v1", Namespaced: true, Logs: true},
		{Slug: "statefulsets", Title: "StatefulSets", Kind: "StatefulSet", Group: "apps", Version: "v1", Namespaced: true, Logs: true},
		{Slug: "daemonsets", Title: "DaemonSets", Kind: "DaemonSet", Group: "apps", Version: "v1", Namespaced: true, Logs: true},
		{Slug: "jobs", Title: "Jobs", Kind: "Job", Group: "batch", Version: "v1", Namespaced: true, Logs: true},
		{Slug: "cronjobs", Title: "CronJobs", Kind: "CronJob", Group: "batch", Version: "v1", Namespaced: true},
	}},
	{"Cluster", []kind{
		{Slug: "nodes", Title: "Nodes", Kind: "Node", Version: "v1"},
		{Slug: "namespaces", Title: "Namespaces", Kind: "Namespace", Version: "v1"},
		{Slug: "apiservices", Title: "API services", Kind: "APIService", Group: "apiregistration.k8s.io", Version: "v1"},
	}},
	{"Service and networking", []kind{
		{Slug: "services", Title: "Services", Kind: "Service", Version: "v1", Namespaced: true},
		{Slug: "endpoints", Title: "Endpoints", Kind: "Endpoints", Version: "v1", Namespaced: true},
		{Slug: "endpointslices", Title: "EndpointSlices", Kind: "EndpointSlice", Group: "discovery.k8s.io", Version: "v1", Namespaced: true},
		{Slug: "ingresses", Title: "Ingresses", Kind: "Ingress", Group: "networking.k8s.io", Version: "v1", Namespaced: true},
	}},
	{"Config and secrets", []kind{
		{Slug: "configmaps", Title: "ConfigMaps", Kind: "ConfigMap", Version: "v1", Namespaced: true},
		{Slug: "secrets", Title: "Secrets", Kind: "Secret", Version: "v1", Namespaced: true},
	}},
	{"Storage", []kind{
		{Slug: "persistentvolumeclaims", Title: "PersistentVolumeClaims", Kind: "PersistentVolumeClaim", Version: "v1", Namespaced: true},
		{Slug: "persistentvolumes", Title: "PersistentVolumes", Kind: "PersistentVolume", Version: "v1"},
		{Slug: "storageclasses", Title: "StorageClasses", Kind: "StorageClass", Group: "storage.k8s.io", Version: "v1"},
	}},
	{"Authentication", []kind{
		{Slug: "serviceaccounts", Title: "ServiceAccounts", Kind: "ServiceAccount", Version: "v1", Namespaced: true},
	}},
	{"Authorization", []kind{
		{Slug: "clusterroles", Title: "ClusterRoles", Kind: "ClusterRole", Group: "rbac.authorization.k8s.io", Version: "v1"},
		{Slug: "clusterrolebindings", Title: "ClusterRoleBindings", Kind: "ClusterRoleBinding", Group: "rbac.authorization.k8s.io", Version: "v1"},
		{Slug: "roles", Title: "Roles", Kind: "Role", Group: "rbac.authorization.k8s.io", Version: "v1", Namespaced: true},
		{Slug: "rolebindings", Title: "RoleBindings", Kind: "RoleBinding", Group: "rbac.authorization.k8s.io", Version: "v1", Namespaced: true},
	}},
	{"Policy", []kind{
		{Slug: "poddisruptionbudgets", Title: "PodDisruptionBudgets", Kind: "PodDisruptionBudget", Group: "policy", Version: "v1", Namespaced: true},
		{Slug: "limitranges", Title: "LimitRanges", Kind: "LimitRange", Version: "v1", Namespaced: true},
		{Slug: "resourcequotas", Title: "ResourceQuotas", Kind: "ResourceQuota", Version: "v1", Namespaced: true},
	}},
	{"Extensions", []kind{
		{Slug: "customresourcedefinitions", Title: "CustomResourceDefinitions", Kind: "CustomResourceDefinition", Group: "apiextensions.k8s.io", Version: "v1"},
	}},
}

// kindBySlug finds a kind of the side list.
func kindBySlug(slug string) (kind, bool) {
	for _, g := range kindGroups {
		for _, k := range g.Kinds {
			if k.Slug == slug {
				return k, true
			}
		}
	}
	return kind{}, false
}

// customSlug is whether slug may name a custom resource: plural.group,
// as kubectl spells it and as its CustomResourceDefinition is named.
func customSlug(slug string) bool {
	return strings.Contains(slug, ".") && len(validation.IsDNS1123Subdomain(slug)) == 0
}

// customKind reads the kind a CustomResourceDefinition named slug
// defines: its group, the version it stores, its scope.
func (c *Console) customKind(ctx context.Context, s *Session, kc *kubeClient, slug string) (kind, error) {
	dyn, err := dynamic.NewForConfig(kc.Config)
	if err != nil {
		return kind{}, err
	}
	crds, _ := kindBySlug("customresourcedefinitions")
	crd, err := dyn.Resource(crds.GVR()).Get(ctx, slug, metav1.GetOptions{})
	if err != nil {
		return kind{}, err
	}
	return kindOfCRD(crd.Object)
}

// kindOfCRD is the kind a CustomResourceDefinition defines.
func kindOfCRD(crd map[string]any) (kind, error) {
	str := func(f ...string) string { v, _, _ := unstructured.NestedString(crd, f...); return v }
	k := kind{Slug: str("metadata", "name"), Group: str("spec", "group"), Resource: str("spec", "names", "plural"),
		Kind: str("spec", "names", "kind"), Namespaced: str("spec", "scope") == "Namespaced", Custom: true}
	versions, _, _ := unstructured.NestedSlice(crd, "spec", "versions")
	for _, v := range versions {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		served, _ := m["served"].(bool)
		storage, _ := m["storage"].(bool)
		if served && (k.Version == "" || storage) {
			k.Version = name
		}
	}
	if k.Group == "" || k.Resource == "" || k.Version == "" || k.Kind == "" {
		return kind{}, badInput("CustomResourceDefinition " + k.Slug + " defines no served kind.")
	}
	k.Title = k.Kind + " (" + k.Slug + ")"
	return k, nil
}

// kindOf finds the side list's kind of an object's apiVersion and kind
// (an owner reference), for links.
func kindOf(apiVersion, k string) (kind, bool) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return kind{}, false
	}
	for _, g := range kindGroups {
		for _, x := range g.Kinds {
			if x.Kind == k && x.Group == gv.Group {
				return x, true
			}
		}
	}
	return kind{}, false
}
