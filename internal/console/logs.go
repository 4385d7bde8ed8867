package console

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
)

// Logs, which the EKS console lacks: a pod's container logs, and the logs
// of every pod of a workload merged in time order, each line saying
// which pod and container it came from.

// logsPage is what the logs page shows.
type logsPage struct {
	Cluster    string
	Kind       kind
	Namespace  string
	Name       string
	Container  string
	Containers []string
	Pods       []string
	Tail       int
	Previous   bool
	Follow     bool
	Timestamps bool
	Lines      []logLine
	// Notes are what could not be read (a pod's container not started yet).
	Notes      []string
	Truncated  bool
	Fragment   bool
	ObjectHref string
	// Path is the page's own path; Query its current query, for Follow's
	// refresh.
	Path, Query string
}

// logLine is one line of a container's log.
type logLine struct {
	Time   time.Time
	Source string // pod/container, for a workload's logs
	Text   string
}

// Display is the line as shown: its source and, when asked, its time.
func (l logLine) Display(timestamps bool) string {
	var b strings.Builder
	if timestamps && !l.Time.IsZero() {
		b.WriteString(l.Time.UTC().Format("2006-01-02T15:04:05.000Z "))
	}
	if l.Source != "" {
		b.WriteString("[" + l.Source + "] ")
	}
	b.WriteString(l.Text)
	return b.String()
}

// Text is the lines as the <pre> shows them.
func (p *logsPage) Text() string {
	var b strings.Builder
	for _, l := range p.Lines {
		b.WriteString(l.Display(p.Timestamps))
		b.WriteByte('\n')
	}
	return b.String()
}

// parseLogLines splits a log read with timestamps=true into lines with
// their times; a line without one takes its predecessor's.
func parseLogLines(source string, data []byte) []logLine {
	var out []logLine
	var last time.Time
	for _, raw := range bytes.Split(data, []byte("\n")) {
		if len(raw) == 0 {
			continue
		}
		line := string(bytes.TrimSuffix(raw, []byte("\r")))
		l := logLine{Source: source, Text: line, Time: last}
		if ts, rest, ok := strings.Cut(line, " "); ok {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				l.Time, l.Text = t, rest
			}
		} else if t, err := time.Parse(time.RFC3339Nano, line); err == nil {
			l.Time, l.Text = t, ""
		}
		last = l.Time
		out = append(out, l)
	}
	return out
}

// mergeLogLines merges logs in time order (a stable sort: each source's
// lines keep their order), keeping the newest max lines.
func mergeLogLines(sets [][]logLine, max int) (lines []logLine, truncated bool) {
	for _, s := range sets {
		lines = append(lines, s...)
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	if max > 0 && len(lines) > max {
		return lines[len(lines)-max:], true
	}
	return lines, false
}

// tailLines is the tail parameter, bounded to 1..maxTail.
func tailLines(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, badInput("Tail must be a number of lines from 1 to " + strconv.Itoa(maxTail) + ".")
	}
	if n > maxTail {
		n = maxTail
	}
	return n, nil
}

func (c *Console) logs(w http.ResponseWriter, r *http.Request, s *Session) error {
	cluster := r.PathValue("name")
	k, ok := kindBySlug(r.PathValue("kind"))
	if !ok || !(k.Logs || k.Slug == "pods") {
		return errNotFound
	}
	ns, name := r.PathValue("namespace"), r.PathValue("object")
	if !validNamespace(ns) {
		return badInput("Namespace " + ns + " is not a valid namespace name.")
	}
	if !validName(name) {
		return badInput("That is not a valid object name.")
	}
	q := r.URL.Query()
	def := podLogsTail
	if k.Slug != "pods" {
		def = workloadTail
	}
	tail, err := tailLines(q.Get("tail"), def)
	if err != nil {
		return err
	}
	container := q.Get("container")
	if container != "" && len(validation.IsDNS1123Label(container)) != 0 {
		return badInput("That is not a valid container name.")
	}
	p := &logsPage{Cluster: cluster, Kind: k, Namespace: ns, Name: name, Container: container, Tail: tail,
		Previous: q.Get("previous") == "1", Follow: q.Get("follow") == "1", Timestamps: q.Get("timestamps") == "1",
		ObjectHref: objectHref(cluster, k, ns, name), Path: r.URL.Path}
	keep := url.Values{"tail": {strconv.Itoa(tail)}, "follow": {"1"}}
	if container != "" {
		keep.Set("container", container)
	}
	if p.Previous {
		keep.Set("previous", "1")
	}
	if p.Timestamps {
		keep.Set("timestamps", "1")
	}
	p.Query = keep.Encode()
	d := &pageData{Title: name + " · Logs", Session: s, Data: p, Crumbs: []crumb{
		{"Clusters", Prefix + "/clusters"}, {cluster, Prefix + "/clusters/" + url.PathEscape(cluster)},
		{"Resources", Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources"},
		{k.Title, Prefix + "/clusters/" + url.PathEscape(cluster) + "/resources/" + k.Slug + nsQuery(ns)},
		{name, p.ObjectHref}, {"Logs", r.URL.Path}}}
	kc, err := c.activeCluster(r.Context(), s, cluster)
	if err == nil {
		if k.Slug == "pods" {
			err = p.podLogs(r.Context(), kc)
		} else {
			err = p.workloadLogs(r.Context(), kc)
		}
	}
	if err != nil {
		d.Error, _ = explain(err)
	}
	if isHTMX(r) && q.Get("fragment") == "1" {
		p.Fragment = true
		c.renderFragment(w, r, "logs", "logOutput", d)
		return nil
	}
	c.render(w, r, http.StatusOK, "logs", d)
	return nil
}

// podLogs reads one container's log.
func (p *logsPage) podLogs(ctx context.Context, kc *kubeClient) error {
	pod, err := kc.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, ct := range pod.Spec.InitContainers {
		p.Containers = append(p.Containers, ct.Name)
	}
	for _, ct := range pod.Spec.Containers {
		p.Containers = append(p.Containers, ct.Name)
	}
	if p.Container == "" {
		p.Container = defaultContainer(pod)
	}
	lines, err := readLog(ctx, kc, pod.Namespace, pod.Name, p.Container, "", p.Tail, p.Previous, podLogBytes)
	p.Lines = lines
	return err
}

// defaultContainer is the container kubectl logs reads when none is named.
func defaultContainer(pod *corev1.Pod) string {
	if n := pod.Annotations["kubectl.kubernetes.io/default-container"]; n != "" {
		return n
	}
	if len(pod.Spec.Containers) > 0 {
		return pod.Spec.Containers[0].Name
	}
	return ""
}

// readLog reads a container's log with timestamps, at most tail lines
// and limit bytes.
func readLog(ctx context.Context, kc *kubeClient, ns, pod, container, source string, tail int, previous bool, limit int64) ([]logLine, error) {
	t := int64(tail)
	raw, err := kc.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &t, Previous: previous,
		Timestamps: true, LimitBytes: &limit}).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	return parseLogLines(source, raw), nil
}

// workloadLogs reads every container of up to maxLogPods of the workload's
// pods, a few at a time, and merges their lines in time order.
func (p *logsPage) workloadLogs(ctx context.Context, kc *kubeClient) error {
	dyn, err := dynamic.NewForConfig(kc.Config)
	if err != nil {
		return err
	}
	obj, err := dyn.Resource(p.Kind.GVR()).Namespace(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	pods, err := workloadPods(ctx, kc, obj, maxLogPods+1)
	if err != nil {
		return err
	}
	if len(pods) > maxLogPods {
		pods = pods[:maxLogPods]
		p.Notes = append(p.Notes, "Only the first "+strconv.Itoa(maxLogPods)+" pods (by name) are shown.")
	}
	type job struct{ pod, container string }
	var jobs []job
	for _, pod := range pods {
		p.Pods = append(p.Pods, pod.Name)
		for _, ct := range pod.Spec.Containers {
			if p.Container == "" || p.Container == ct.Name {
				jobs = append(jobs, job{pod.Name, ct.Name})
			}
		}
	}
	sets := make([][]logLine, len(jobs))
	notes := make([]string, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			lines, err := readLog(ctx, kc, p.Namespace, j.pod, j.container, j.pod+"/"+j.container, p.Tail, p.Previous, workloadBytes)
			if err != nil {
				se, _ := explain(err)
				notes[i] = j.pod + "/" + j.container + ": " + se.Message
			}
			sets[i] = lines
		}()
	}
	wg.Wait()
	for _, n := range notes {
		if n != "" {
			p.Notes = append(p.Notes, n)
		}
	}
	p.Lines, p.Truncated = mergeLogLines(sets, maxMergedLines)
	if len(pods) == 0 {
		p.Notes = append(p.Notes, "No pods match this "+p.Kind.Kind+"'s selector.")
	}
	return nil
}
