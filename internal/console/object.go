package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// An object's page: its structured view (info, owners, containers, a
// workload's pods, conditions, events) and its raw JSON or YAML.

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
