package fargatescheduler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/fargate"
)

// LogSink is CloudWatch Logs as the shipper writes to it (cwlogs.Service).
type LogSink = cwlogs.Sink

// loggingChoice is what a pod's logging comes to at its start: the
// annotation, the event, and where its logs go.
type loggingChoice struct {
	annotation, reason, message string
	target                      []ec2.FargateLogOutput
}

// loggingFor reads aws-observability/aws-logging as Fargate does when a pod
// starts (a later change does not reach running pods).
func (s *clusterPass) loggingFor(ctx context.Context, p *corev1.Pod) loggingChoice {
	cm, err := s.cs.CoreV1().ConfigMaps(fargate.LoggingNamespace).Get(ctx, fargate.LoggingConfigMap, metav1.GetOptions{})
	if err != nil {
		return loggingChoice{annotation: fargate.LoggingDisabledNotFound, reason: fargate.LoggingDisabledReason, message: fargate.LoggingNotFoundMessage}
	}
	cfg, err := fargate.ParseLogging(cm.Data)
	if err != nil {
		return loggingChoice{annotation: fargate.LoggingDisabledInvalid, reason: fargate.LoggingDisabledReason, message: fargate.LoggingInvalidMessage(err)}
	}
	var out []ec2.FargateLogOutput
	for _, o := range cfg.Outputs {
		region, group, prefix, _, ok := o.CloudWatch()
		if !ok || group == "" {
			continue // outputs other than CloudWatch Logs go nowhere here
		}
		if region == "" {
			region = s.cl.Region
		}
		out = append(out, ec2.FargateLogOutput{Region: region, Group: group, StreamPrefix: prefix, StreamName: o.Params["log_stream_name"]})
	}
	return loggingChoice{annotation: fargate.LoggingEnabled, reason: fargate.LoggingEnabled, message: fargate.LoggingEnabledMessage, target: out}
}

// logShipper follows the container log files of Fargate pods with
// logging on and appends their lines to CloudWatch Logs, as the Fluent
// Bit Fargate runs beside each pod does. Places are kept in memory: after
// a keks restart, files found in the first pass that goes over a cluster's
// pods are followed from their end (lines written while keks was down are
// not shipped, rather than shipped twice); files of containers started
// since, from their start.
type logShipper struct {
	writer  *cwlogs.StreamWriter
	log     *slog.Logger
	dataDir string // instances' directories
	places  map[string]int64
	// primed are the clusters (by uid) whose pods a pass has gone over:
	// their files seen since are new. Per cluster, since a pass can leave a
	// cluster out (keks's first pass does: its informers are not synced).
	primed map[string]bool
}

func newLogShipper(sink LogSink, dataDir string, log *slog.Logger) *logShipper {
	return &logShipper{writer: &cwlogs.StreamWriter{Sink: sink}, log: log, dataDir: dataDir, places: map[string]int64{}, primed: map[string]bool{}}
}

// shipPod ships what the pod's containers wrote since the last pass.
func (l *logShipper) shipPod(ctx context.Context, account, clusterUID string, in *ec2.Instance, p *corev1.Pod) {
	if len(in.Fargate.Logging) == 0 {
		return
	}
	dir := filepath.Join(l.dataDir, in.ID, "pod-logs", p.Namespace+"_"+p.Name+"_"+string(p.UID))
	for _, st := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
		if st.ContainerID == "" {
			continue
		}
		file := filepath.Join(dir, st.Name, fmt.Sprintf("%d.log", st.RestartCount))
		events, err := l.read(file, l.primed[clusterUID])
		if err != nil || len(events) == 0 {
			continue
		}
		for _, o := range in.Fargate.Logging {
			stream := o.StreamName
			if stream == "" {
				stream = fargate.StreamName(o.StreamPrefix, p.Name, p.Namespace, st.Name, st.ContainerID)
			}
			if err := l.writer.Write(ctx, account, o.Region, o.Group, stream, events); err != nil {
				l.log.Warn("fargate: ship pod logs", "pod", podRef(p), "group", o.Group, "err", err)
			}
		}
	}
}

// read returns the complete CRI log lines written to file since the last
// read, as events. A file not read before is read from its start when its
// cluster is primed (its container started since), else from its end.
func (l *logShipper) read(file string, primed bool) ([]cwlogs.Event, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	off, known := l.places[file]
	if !known && !primed {
		if off, err = f.Seek(0, io.SeekEnd); err != nil {
			return nil, err
		}
	} else if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return nil, err
	}
	var events []cwlogs.Event
	used := 0
	for {
		i := bytes.IndexByte(data[used:], '\n')
		if i < 0 {
			break
		}
		if ev, ok := criLine(data[used : used+i]); ok {
			events = append(events, ev)
		}
		used += i + 1
	}
	l.places[file] = off + int64(used)
	return events, nil
}

// criLine reads one line of the CRI log format: "<RFC3339Nano> <stream> <P|F> <message>".
func criLine(line []byte) (cwlogs.Event, bool) {
	parts := bytes.SplitN(line, []byte(" "), 4)
	if len(parts) < 4 {
		return cwlogs.Event{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(parts[0]))
	if err != nil {
		return cwlogs.Event{}, false
	}
	return cwlogs.Event{Timestamp: ts, Message: string(parts[3])}, true
}

// forget drops the places of files of instances no longer running.
func (l *logShipper) forget(running map[string]bool) {
	for file := range l.places {
		rel, err := filepath.Rel(l.dataDir, file)
		if err != nil {
			continue
		}
		id, _, _ := bytes.Cut([]byte(rel), []byte(string(filepath.Separator)))
		if !running[string(id)] {
			delete(l.places, file)
		}
	}
}
