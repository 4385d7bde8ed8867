package console

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "observability", Title: "Observability", Order: 60, Load: loadObservability})
	registerPage("observability-logging", "observability.html")
	registerPage("observability-logs", "observability-events.html")
}

// logTypeState is a control-plane log type and whether it is on.
type logTypeState struct {
	Type, Title, Stream string
	Enabled             bool
}

type observabilityData struct {
	Cluster, Group string
	Types          []logTypeState
}

func logStates(k *ekstypes.Cluster) []logTypeState {
	on := map[string]bool{}
	if k.Logging != nil {
		for _, setup := range k.Logging.ClusterLogging {
			for _, t := range setup.Types {
				on[string(t)] = aws.ToBool(setup.Enabled)
			}
		}
	}
	var out []logTypeState
	for _, t := range logTypeNames {
		out = append(out, logTypeState{Type: t.Type, Title: t.Title, Stream: t.Stream, Enabled: on[t.Type]})
	}
	return out
}

func logGroup(cluster string) string { return "/aws/eks/" + cluster + "/cluster" }

func loadObservability(_ context.Context, _ *Console, _ *Session, _ *awsClients, k *ekstypes.Cluster, _ *http.Request) (any, error) {
	name := aws.ToString(k.Name)
	return &observabilityData{Cluster: name, Group: logGroup(name), Types: logStates(k)}, nil
}

func (c *Console) loggingPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "observability-logging", &pageData{Title: "Manage logging · " + name, Session: s,
		Data:   &observabilityData{Cluster: name, Group: logGroup(name), Types: logStates(out.Cluster)},
		Crumbs: clusterCrumbs(name, crumb{"Observability", clusterHref(name, "observability")}, crumb{"Manage logging", clusterHref(name, "observability", "logging")})})
	return nil
}

// updateLogging turns each log type on or off as the form says.
func (c *Console) updateLogging(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := r.ParseForm(); err != nil {
		return badInput("The form could not be read: " + err.Error())
	}
	want := map[string]bool{}
	for _, t := range r.PostForm["logging"] {
		want[t] = true
	}
	var on, off []ekstypes.LogType
	var states []logTypeState
	for _, t := range logTypeNames {
		states = append(states, logTypeState{Type: t.Type, Title: t.Title, Stream: t.Stream, Enabled: want[t.Type]})
		if want[t.Type] {
			on = append(on, ekstypes.LogType(t.Type))
		} else {
			off = append(off, ekstypes.LogType(t.Type))
		}
	}
	logging := &ekstypes.Logging{}
	if len(on) > 0 {
		logging.ClusterLogging = append(logging.ClusterLogging, ekstypes.LogSetup{Types: on, Enabled: aws.Bool(true)})
	}
	if len(off) > 0 {
		logging.ClusterLogging = append(logging.ClusterLogging, ekstypes.LogSetup{Types: off, Enabled: aws.Bool(false)})
	}
	out, err := cl.EKS.UpdateClusterConfig(r.Context(), &eks.UpdateClusterConfigInput{Name: aws.String(name), Logging: logging})
	if err == nil {
		seeOther(w, r, updateHref(name, out.Update, ""), "Control plane logging of "+name+" is being updated.")
		return nil
	}
	pd := &pageData{Title: "Manage logging · " + name, Session: s, Data: &observabilityData{Cluster: name, Group: logGroup(name), Types: states},
		Crumbs: clusterCrumbs(name, crumb{"Observability", clusterHref(name, "observability")}, crumb{"Manage logging", clusterHref(name, "observability", "logging")})}
	c.render(w, r, formError(pd, err), "observability-logging", pd)
	return nil
}

// logEvent is one line of a control-plane log.
type logEvent struct {
	Time    time.Time
	Stream  string
	Message string
}

type logEventsData struct {
	Cluster, Group string
	Type           logTypeState
	Streams        []string
	Events         []logEvent
	Truncated      bool
}

// maxLogEvents is how many of the newest events the page shows.
const maxLogEvents = 100

// logEventsPage shows the newest events of one log type: its streams in
// the cluster's log group (the api type's prefix also matches the audit
// streams, which are left out), read with FilterLogEvents.
func (c *Console) logEventsPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	name, typ := r.PathValue("name"), r.PathValue("type")
	var t *logTypeState
	for _, lt := range logTypeNames {
		if lt.Type == typ {
			t = &logTypeState{Type: lt.Type, Title: lt.Title, Stream: lt.Stream}
		}
	}
	if t == nil {
		return errNotFound
	}
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	d := &logEventsData{Cluster: name, Group: logGroup(name), Type: *t}
	pd := &pageData{Title: t.Title + " logs · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Observability", clusterHref(name, "observability")}, crumb{t.Title + " logs", clusterHref(name, "observability", "logs", typ)})}
	status := http.StatusOK
	var nf *logtypes.ResourceNotFoundException
	if err := readLogEvents(r.Context(), cl, d); err != nil && !errors.As(err, &nf) {
		// No log group yet is no events yet; anything else is shown.
		status = formError(pd, err)
	}
	c.render(w, r, status, "observability-logs", pd)
	return nil
}

func readLogEvents(ctx context.Context, cl *awsClients, d *logEventsData) error {
	streams := cloudwatchlogs.NewDescribeLogStreamsPaginator(cl.Logs, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(d.Group), LogStreamNamePrefix: aws.String(d.Type.Stream)})
	for streams.HasMorePages() {
		out, err := streams.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, st := range out.LogStreams {
			n := aws.ToString(st.LogStreamName)
			if d.Type.Type == "api" && strings.HasPrefix(n, "kube-apiserver-audit-") {
				continue
			}
			d.Streams = append(d.Streams, n)
		}
	}
	if len(d.Streams) == 0 {
		return nil
	}
	names := d.Streams
	if len(names) > 100 {
		names = names[len(names)-100:]
	}
	// FilterLogEvents answers oldest first: keep the last of at most a
	// few pages.
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(d.Group), LogStreamNames: names}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(cl.Logs, in)
	for pages := 0; p.HasMorePages(); pages++ {
		if pages == 20 {
			d.Truncated = true
			break
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, e := range out.Events {
			d.Events = append(d.Events, logEvent{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Stream: aws.ToString(e.LogStreamName),
				Message: strings.TrimRight(aws.ToString(e.Message), "\n")})
		}
		if len(d.Events) > 4*maxLogEvents {
			d.Events = d.Events[len(d.Events)-maxLogEvents:]
		}
	}
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].Time.After(d.Events[j].Time) })
	if len(d.Events) > maxLogEvents {
		d.Events = d.Events[:maxLogEvents]
	}
	return nil
}
