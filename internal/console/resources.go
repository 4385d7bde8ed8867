package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// The Resources tab: a cluster's Kubernetes objects as the signed-in
// principal sees them (its access entries and RBAC decide), listed in
// the server's Table format (kubectl get's own columns), each object's
// structured and raw views, and logs of a pod or of a workload's pods.

func init() {
	registerTab(tab{Slug: "resources", Title: "Resources", Order: 10, Load: loadResources})
	registerPage("resource", "resource.html")
	registerPage("logs", "logs.html")
}

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

// Limits on what a page asks of a cluster.
const (
	listLimit      = 500
	maxTail        = 5000
	podLogsTail    = 500
	workloadTail   = 100
	maxLogPods     = 20
	podLogBytes    = 4 << 20
	workloadBytes  = 512 << 10
	maxMergedLines = 20000
)

// validNamespace is a namespace name as Kubernetes allows it.
func validNamespace(ns string) bool { return len(validation.IsDNS1123Label(ns)) == 0 }

// validName is an object name the console passes on: Kubernetes's names
// (RBAC's have colons, some have capitals or @), never a path.
func validName(name string) bool {
	if name == "" || len(name) > 253 || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-._:@+=", r):
		default:
			return false
		}
	}
	return true
}

// clusterNotActive is a cluster whose Kubernetes API cannot be reached
// yet (or any more), as a Kubernetes status so the console shows it with
// its code.
func clusterNotActive(k *ekstypes.Cluster) error {
	if k == nil || k.Status == ekstypes.ClusterStatusActive || k.Status == ekstypes.ClusterStatusUpdating {
		return nil
	}
	name := ""
	if k.Name != nil {
		name = *k.Name
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusConflict, Reason: "ClusterNotActive",
		Message: fmt.Sprintf("Cluster %s is %s: its Kubernetes resources can be viewed once it is ACTIVE.", name, k.Status)}}
}

// resourcesTab is what the Resources tab shows.
type resourcesTab struct {
	Cluster    string
	Groups     []kindGroup
	Kind       kind
	Namespace  string // "" for all namespaces
	Namespaces []string
	Q          string
	Columns    []string
	Rows       []resourceRow
	More       bool // the list was cut at listLimit
	Total      int
	NotActive  bool
	// Loaded: the list was read (else an error says why not).
	Loaded bool
}

// resourceRow is an object of the list: its Table cells and where it is.
type resourceRow struct {
	Name, Namespace string
	Cells           []string
	Href, LogsHref  string
}

func (c *Console) resourceRoutes(mux *http.ServeMux) {
	c.page(mux, "GET /clusters/{name}/resources/{kind}", func(w http.ResponseWriter, r *http.Request, s *Session) error {
		if _, ok := kindBySlug(r.PathValue("kind")); !ok && !customSlug(r.PathValue("kind")) {
			return errNotFound
		}
		r.SetPathValue("tab", "resources")
		return c.clusterTab(w, r, s)
	})
	c.page(mux, "GET /clusters/{name}/resources/{kind}/{namespace}/{object}", c.resourceObject)
	c.page(mux, "GET /clusters/{name}/logs/{namespace}/{kind}/{object}", c.logs)
}

// resourceQuery is the list's filters from the URL, checked.
func resourceQuery(r *http.Request) (k kind, ns, q string, err error) {
	slug := r.PathValue("kind")
	if slug == "" {
		slug = "pods"
	}
	k, ok := kindBySlug(slug)
	if !ok && !customSlug(slug) {
		return k, "", "", errNotFound
	}
	if !ok {
		// Resolved from its definition once the cluster is reached.
		k = kind{Slug: slug, Title: slug, Custom: true, Namespaced: true}
	}
	ns = r.URL.Query().Get("namespace")
	if ns != "" && !validNamespace(ns) {
		return k, "", "", badInput("Namespace " + ns + " is not a valid namespace name.")
	}
	q = strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 253 {
		q = q[:253]
	}
	return k, ns, q, nil
}

func loadResources(ctx context.Context, c *Console, s *Session, _ *awsClients, cluster *ekstypes.Cluster, r *http.Request) (any, error) {
	k, ns, q, err := resourceQuery(r)
	d := &resourcesTab{Cluster: *cluster.Name, Groups: kindGroups, Kind: k, Namespace: ns, Q: q}
	if err != nil {
		return d, err
	}
	if err := clusterNotActive(cluster); err != nil {
		d.NotActive = true
		return d, err
	}
	kc, err := c.clients.kubeFor(ctx, s, *cluster.Name)
	if err != nil {
		return d, err
	}
	if k.Custom {
		if k, err = c.customKind(ctx, s, kc, k.Slug); err != nil {
			return d, err
		}
		d.Kind = k
	}
	raw, err := kc.CoreV1().RESTClient().Get().AbsPath(k.apiPath(ns, "")).
		Param("limit", fmt.Sprint(listLimit)).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").
		Do(ctx).Raw()
	if err != nil {
		return d, err
	}
	if err := d.fill(raw); err != nil {
		return d, err
	}
	// The namespaces for the filter; a principal that may not list them
	// still filters by typing one.
	if k.Namespaced {
		if nss, err := kc.CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: listLimit}); err == nil {
			for _, n := range nss.Items {
				d.Namespaces = append(d.Namespaces, n.Name)
			}
		}
	}
	return d, nil
}

// fill reads the server's Table into the tab's columns and rows (those
// kubectl get shows: priority 0), keeping the rows whose name has q.
func (d *resourcesTab) fill(raw []byte) error {
	var t metav1.Table
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("the cluster's answer is not a table: %w", err)
	}
	if t.Kind != "Table" {
		return fmt.Errorf("the cluster answered a %s, not a Table", t.Kind)
	}
	d.More, d.Loaded = t.Continue != "", true
	var keep []int
	for i, col := range t.ColumnDefinitions {
		if col.Priority == 0 || slices.Contains(d.Kind.Wide, col.Name) {
			keep = append(keep, i)
		}
	}
	showNS := d.Kind.Namespaced && d.Namespace == ""
	if showNS {
		d.Columns = append(d.Columns, "Namespace")
	}
	for _, i := range keep {
		d.Columns = append(d.Columns, t.ColumnDefinitions[i].Name)
	}
	d.Total = len(t.Rows)
	q := strings.ToLower(d.Q)
	for _, row := range t.Rows {
		var m metav1.PartialObjectMetadata
		if len(row.Object.Raw) > 0 {
			_ = json.Unmarshal(row.Object.Raw, &m)
		}
		name := m.Name
		if name == "" && len(row.Cells) > 0 {
			name = fmt.Sprint(row.Cells[0])
		}
		if q != "" && !strings.Contains(strings.ToLower(name), q) {
			continue
		}
		rr := resourceRow{Name: name, Namespace: m.Namespace, Href: objectHref(d.Cluster, d.Kind, m.Namespace, name)}
		if d.Kind.Logs || d.Kind.Slug == "pods" {
			rr.LogsHref = logsHref(d.Cluster, d.Kind, m.Namespace, name)
		}
		if showNS {
			rr.Cells = append(rr.Cells, m.Namespace)
		}
		for _, i := range keep {
			var v any
			if i < len(row.Cells) {
				v = row.Cells[i]
			}
			rr.Cells = append(rr.Cells, cellText(v))
		}
		d.Rows = append(d.Rows, rr)
	}
	return nil
}

// cellText is a Table cell as kubectl prints it.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "<none>"
	case string:
		if x == "" {
			return "<none>"
		}
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = cellText(p)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func objectHref(cluster string, k kind, ns, name string) string {
	if !k.Namespaced || ns == "" {
		ns = "_"
	}
	return Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources/" + k.Slug + "/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
}

func logsHref(cluster string, k kind, ns, name string) string {
	return Prefix + "/clusters/" + url.PathEscape(cluster) + "/logs/" + url.PathEscape(ns) + "/" + k.Slug + "/" + url.PathEscape(name)
}

// objectPage is an object's page.
type objectPage struct {
	Cluster   string
	Kind      kind
	Namespace string
	Name      string
	View      string // "", "raw" or "yaml"
	Href      string
	LogsHref  string
	// InstancesHref lists a CustomResourceDefinition's objects.
	InstancesHref string
	Raw           string

	Created     time.Time
	UID         string
	Labels      map[string]string
	Annotations map[string]string
	Owners      []ownerLink
	Containers  []containerRow
	Pods        []podRow
	PodsError   *shownError
	Conditions  []conditionRow
	Events      []eventRow
	EventsError *shownError
	// Info is the kind's own details (a pod's node and IP, a service's type...).
	Info [][2]string
}

type ownerLink struct{ Kind, Name, Href string }

type containerRow struct {
	Name, Image, State, Ports string
	Ready                     bool
	Restarts                  int32
	Init                      bool
}

type podRow struct {
	Name, Phase, Node, Href, LogsHref string
	Ready                             string
	Restarts                          int32
	Created                           time.Time
}

type conditionRow struct {
	Type, Status, Reason, Message string
	Changed                       string
}

type eventRow struct {
	Type, Reason, Message, From string
	Count                       int32
	Last                        time.Time
}

// objectPath reads and checks an object's place from the URL.
func objectPath(r *http.Request) (k kind, ns, name string, err error) {
	k, ok := kindBySlug(r.PathValue("kind"))
	if !ok {
		return k, "", "", errNotFound
	}
	return objectPlace(r, k)
}

// objectPlace checks an object's namespace and name from the URL.
func objectPlace(r *http.Request, k kind) (_ kind, ns, name string, err error) {
	ns, name = r.PathValue("namespace"), r.PathValue("object")
	if !k.Namespaced {
		if ns != "_" && ns != "" {
			return k, "", "", badInput(k.Title + " are not namespaced: use _ as the namespace.")
		}
		ns = ""
	} else if !validNamespace(ns) {
		return k, "", "", badInput("Namespace " + ns + " is not a valid namespace name.")
	}
	if !validName(name) {
		return k, "", "", badInput("That is not a valid object name.")
	}
	return k, ns, name, nil
}

// activeCluster describes the cluster and refuses one that is not ACTIVE.
func (c *Console) activeCluster(ctx context.Context, s *Session, name string) (*kubeClient, error) {
	cl, err := c.clients.awsFor(ctx, s)
	if err != nil {
		return nil, err
	}
	out, err := describeCluster(ctx, cl, name)
	if err != nil {
		return nil, err
	}
	if err := clusterNotActive(out); err != nil {
		return nil, err
	}
	return c.clients.kubeFor(ctx, s, name)
}

func (c *Console) resourceObject(w http.ResponseWriter, r *http.Request, s *Session) error {
	cluster := r.PathValue("name")
	slug := r.PathValue("kind")
	k, ns, name, err := objectPath(r)
	custom := errors.Is(err, errNotFound) && customSlug(slug)
	if err != nil && !custom {
		return err
	}
	kc, err := c.activeCluster(r.Context(), s, cluster)
	if err != nil {
		return err
	}
	if custom {
		if k, err = c.customKind(r.Context(), s, kc, slug); err != nil {
			return err
		}
		if k, ns, name, err = objectPlace(r, k); err != nil {
			return err
		}
	}
	dyn, err := dynamic.NewForConfig(kc.Config)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ri dynamic.ResourceInterface = dyn.Resource(k.GVR())
	if k.Namespaced {
		ri = dyn.Resource(k.GVR()).Namespace(ns)
	}
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	p := &objectPage{Cluster: cluster, Kind: k, Namespace: ns, Name: name, View: r.URL.Query().Get("view"),
		Href: objectHref(cluster, k, ns, name)}
	if k.Logs || k.Slug == "pods" {
		p.LogsHref = logsHref(cluster, k, ns, name)
	}
	if k.Slug == "customresourcedefinitions" {
		p.InstancesHref = Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources/" + url.PathEscape(name)
	}
	switch p.View {
	case "raw", "yaml":
		p.Raw, err = rawView(obj.Object, p.View == "yaml")
		if err != nil {
			return err
		}
	default:
		p.View = ""
		p.structured(ctx, kc, obj)
	}
	title := name
	d := &pageData{Title: title + " · " + k.Title, Session: s, Data: p, Crumbs: []crumb{
		{"Clusters", Prefix + "/clusters"}, {cluster, Prefix + "/clusters/" + url.PathEscape(cluster)},
		{"Resources", Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources"},
		{k.Title, Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources/" + k.Slug + nsQuery(ns)},
		{name, p.Href}}}
	c.render(w, r, http.StatusOK, "resource", d)
	return nil
}

func nsQuery(ns string) string {
	if ns == "" {
		return ""
	}
	return "?namespace=" + url.QueryEscape(ns)
}

// rawView is an object as JSON (indented) or YAML, without its
// managedFields, which say who set what and bury the object.
func rawView(obj map[string]any, asYAML bool) (string, error) {
	obj = dropManagedFields(obj)
	if asYAML {
		b, err := yaml.Marshal(obj)
		return string(b), err
	}
	b, err := json.MarshalIndent(obj, "", "  ")
	return string(b), err
}

// dropManagedFields is obj without metadata.managedFields (a shallow copy).
func dropManagedFields(obj map[string]any) map[string]any {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	m := make(map[string]any, len(md))
	for k, v := range md {
		if k != "managedFields" {
			m[k] = v
		}
	}
	out["metadata"] = m
	return out
}

// structured fills the structured view: info, the kind's own details,
// conditions, pods of a workload, events.
func (p *objectPage) structured(ctx context.Context, kc *kubeClient, obj *unstructured.Unstructured) {
	p.Created = obj.GetCreationTimestamp().Time
	p.UID = string(obj.GetUID())
	p.Labels, p.Annotations = obj.GetLabels(), obj.GetAnnotations()
	for _, o := range obj.GetOwnerReferences() {
		l := ownerLink{Kind: o.Kind, Name: o.Name}
		if ok, found := kindOf(o.APIVersion, o.Kind); found {
			l.Href = objectHref(p.Cluster, ok, p.Namespace, o.Name)
		}
		p.Owners = append(p.Owners, l)
	}
	if conds, found, _ := unstructured.NestedSlice(obj.Object, "status", "conditions"); found {
		for _, c := range conds {
			m, _ := c.(map[string]any)
			str := func(k string) string { s, _ := m[k].(string); return s }
			changed := str("lastTransitionTime")
			if changed == "" {
				changed = str("lastUpdateTime")
			}
			p.Conditions = append(p.Conditions, conditionRow{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message"), Changed: changed})
		}
	}
	switch p.Kind.Slug {
	case "pods":
		var pod corev1.Pod
		if err := fromUnstructured(obj, &pod); err == nil {
			p.Containers = podContainers(&pod)
			p.Info = append(p.Info, [2]string{"Status", string(pod.Status.Phase)}, [2]string{"Node", pod.Spec.NodeName},
				[2]string{"Pod IP", pod.Status.PodIP}, [2]string{"Service account", pod.Spec.ServiceAccountName},
				[2]string{"QoS class", string(pod.Status.QOSClass)})
		}
	case "services":
		var svc corev1.Service
		if err := fromUnstructured(obj, &svc); err == nil {
			var ports []string
			for _, pt := range svc.Spec.Ports {
				ports = append(ports, fmt.Sprintf("%d/%s → %s", pt.Port, pt.Protocol, pt.TargetPort.String()))
			}
			p.Info = append(p.Info, [2]string{"Type", string(svc.Spec.Type)}, [2]string{"Cluster IP", svc.Spec.ClusterIP},
				[2]string{"Ports", strings.Join(ports, ", ")}, [2]string{"Selector", labelsText(svc.Spec.Selector)})
		}
	case "nodes":
		var n corev1.Node
		if err := fromUnstructured(obj, &n); err == nil {
			var addrs []string
			for _, a := range n.Status.Addresses {
				addrs = append(addrs, string(a.Type)+": "+a.Address)
			}
			p.Info = append(p.Info, [2]string{"Kubelet version", n.Status.NodeInfo.KubeletVersion}, [2]string{"OS image", n.Status.NodeInfo.OSImage},
				[2]string{"Container runtime", n.Status.NodeInfo.ContainerRuntimeVersion}, [2]string{"Addresses", strings.Join(addrs, ", ")},
				[2]string{"Provider ID", n.Spec.ProviderID})
		}
	}
	if p.Kind.Logs {
		pods, err := workloadPods(ctx, kc, obj, 100)
		if err != nil {
			p.PodsError, _ = explain(err)
		}
		for _, pod := range pods {
			p.Pods = append(p.Pods, podRowOf(p.Cluster, &pod))
		}
	}
	p.Events, p.EventsError = objectEvents(ctx, kc, p.Kind, p.Namespace, p.UID)
}

func fromUnstructured(obj *unstructured.Unstructured, out any) error {
	b, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func labelsText(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// podContainers are a pod's init containers and containers with their state.
func podContainers(pod *corev1.Pod) []containerRow {
	statuses := map[string]corev1.ContainerStatus{}
	for _, st := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		statuses[st.Name] = st
	}
	var rows []containerRow
	add := func(cs []corev1.Container, init bool) {
		for _, ct := range cs {
			row := containerRow{Name: ct.Name, Image: ct.Image, Init: init, State: "Waiting"}
			var ports []string
			for _, pt := range ct.Ports {
				ports = append(ports, fmt.Sprintf("%d/%s", pt.ContainerPort, pt.Protocol))
			}
			row.Ports = strings.Join(ports, ", ")
			if st, ok := statuses[ct.Name]; ok {
				row.Ready, row.Restarts = st.Ready, st.RestartCount
				switch {
				case st.State.Running != nil:
					row.State = "Running"
				case st.State.Terminated != nil:
					row.State = "Terminated: " + st.State.Terminated.Reason
				case st.State.Waiting != nil:
					row.State = "Waiting: " + st.State.Waiting.Reason
				}
			}
			rows = append(rows, row)
		}
	}
	add(pod.Spec.InitContainers, true)
	add(pod.Spec.Containers, false)
	return rows
}

func podRowOf(cluster string, pod *corev1.Pod) podRow {
	ready, total := 0, len(pod.Spec.Containers)
	var restarts int32
	for _, st := range pod.Status.ContainerStatuses {
		if st.Ready {
			ready++
		}
		restarts += st.RestartCount
	}
	pods, _ := kindBySlug("pods")
	phase := string(pod.Status.Phase)
	if pod.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	return podRow{Name: pod.Name, Phase: phase, Node: pod.Spec.NodeName, Ready: fmt.Sprintf("%d/%d", ready, total), Restarts: restarts,
		Created: pod.CreationTimestamp.Time, Href: objectHref(cluster, pods, pod.Namespace, pod.Name),
		LogsHref: logsHref(cluster, pods, pod.Namespace, pod.Name)}
}

// workloadPods are the pods a workload's selector matches, by name, at
// most limit of them.
func workloadPods(ctx context.Context, kc *kubeClient, obj *unstructured.Unstructured, limit int) ([]corev1.Pod, error) {
	sel, found, err := unstructured.NestedMap(obj.Object, "spec", "selector")
	if err != nil || !found {
		return nil, badInput("This object has no pod selector.")
	}
	var ls metav1.LabelSelector
	b, _ := json.Marshal(sel)
	if err := json.Unmarshal(b, &ls); err != nil {
		return nil, badInput("This object's pod selector cannot be read.")
	}
	selector, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, badInput("This object's pod selector cannot be read: " + err.Error())
	}
	if selector.Empty() {
		return nil, badInput("This object's pod selector is empty.")
	}
	list, err := kc.CoreV1().Pods(obj.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: selector.String(), Limit: listLimit})
	if err != nil {
		return nil, err
	}
	pods := list.Items
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	if len(pods) > limit {
		pods = pods[:limit]
	}
	return pods, nil
}

// objectEvents are the events about an object, newest first.
func objectEvents(ctx context.Context, kc *kubeClient, k kind, ns, uid string) ([]eventRow, *shownError) {
	if uid == "" {
		return nil, nil
	}
	if !k.Namespaced {
		ns = "" // a node's events are in default, a namespace's in itself: look everywhere
	}
	list, err := kc.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.uid=" + uid, Limit: listLimit})
	if err != nil {
		se, _ := explain(err)
		return nil, se
	}
	rows := make([]eventRow, 0, len(list.Items))
	for _, e := range list.Items {
		last := e.LastTimestamp.Time
		if last.IsZero() {
			last = e.EventTime.Time
		}
		if last.IsZero() {
			last = e.CreationTimestamp.Time
		}
		from := e.Source.Component
		if from == "" {
			from = e.ReportingController
		}
		count := e.Count
		if count == 0 {
			count = 1
		}
		rows = append(rows, eventRow{Type: e.Type, Reason: e.Reason, Message: e.Message, From: from, Count: count, Last: last})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Last.After(rows[j].Last) })
	return rows, nil
}

// describeCluster is DescribeCluster's cluster.
func describeCluster(ctx context.Context, cl *awsClients, name string) (*ekstypes.Cluster, error) {
	out, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, err
	}
	if out.Cluster == nil {
		return nil, errors.New("DescribeCluster answered no cluster")
	}
	return out.Cluster, nil
}
