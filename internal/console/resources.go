package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
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
