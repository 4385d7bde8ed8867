package fargatescheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/kubeclient"
)

// sink is CloudWatch Logs as the shipper sees it, recording what it is sent.
type sink struct {
	mu      sync.Mutex
	streams map[string][]string // "region/group/stream" -> messages
}

func (s *sink) EnsureLogStream(context.Context, string, string, string, string) error { return nil }

func (s *sink) Append(_ context.Context, _, region, group, stream string, events []cwlogs.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams == nil {
		s.streams = map[string][]string{}
	}
	for _, e := range events {
		k := region + "/" + group + "/" + stream
		s.streams[k] = append(s.streams[k], e.Message)
	}
	return nil
}

func (s *sink) messages(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.streams[key])
}

// A pod started while aws-logging has a CloudWatch output gets logging,
// and its container's lines are shipped once each, across a restart of
// keks too.
func TestLogsShippedOnce(t *testing.T) {
	f := newFixture(t, eks.AuthModeConfigMap)
	logs := &sink{}
	dataDir := t.TempDir()
	cfg := f.c.cfg
	cfg.Logs, cfg.DataDir = logs, dataDir
	f.c = New(cfg)
	if _, err := f.cs.CoreV1().ConfigMaps(fargate.LoggingNamespace).Create(f.ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: fargate.LoggingConfigMap, Namespace: fargate.LoggingNamespace},
		Data:       map[string]string{"output.conf": "[OUTPUT]\n    Name cloudwatch_logs\n    Match kube.*\n    log_group_name my-logs\n    log_stream_prefix from-fluent-bit-\n"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.activeProfile(testProfile)
	p := f.pod("p")
	f.passUntil("a node launched for the pod", func() bool { return len(f.instances(p.UID)) > 0 })
	if a := f.getPod("p").Annotations[fargate.LoggingAnnotation]; a != fargate.LoggingEnabled {
		t.Errorf("Logging %q", a)
	}
	if evs := f.events("p", fargate.LoggingEnabled); len(evs) != 1 || evs[0].Message != fargate.LoggingEnabledMessage || evs[0].Type != corev1.EventTypeNormal {
		t.Errorf("LoggingEnabled events %+v", evs)
	}
	in := f.instances(p.UID)[0]
	if want := []ec2.FargateLogOutput{{Region: testRegion, Group: "my-logs", StreamPrefix: "from-fluent-bit-"}}; !slices.Equal(in.Fargate.Logging, want) {
		t.Errorf("instance logging %+v, want %+v", in.Fargate.Logging, want)
	}

	// The node controller runs the instance, the pod is bound there, and
	// its container writes.
	if _, err := f.ec2.UpdateInstance(f.ctx, in.ID, func(i *ec2.Instance) error { i.State = ec2.StateRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	f.node(in.NodeName(), true)
	f.passUntil("the pod bound", func() bool { return f.getPod("p").Spec.NodeName != "" })
	const containerID = "containerd://0123abcd"
	cur := f.getPod("p")
	cur.Status.Phase = corev1.PodRunning
	cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", ContainerID: containerID, Ready: true}}
	if _, err := f.cs.CoreV1().Pods("default").UpdateStatus(f.ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dataDir, in.ID, "pod-logs", "default_p_"+string(p.UID), "app", "0.log")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(lines ...string) {
		t.Helper()
		fh, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		for _, l := range lines {
			if _, err := fmt.Fprintf(fh, "%s stdout F %s\n", time.Now().UTC().Format(time.RFC3339Nano), l); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("one", "two")
	key := testRegion + "/my-logs/" + fargate.StreamName("from-fluent-bit-", "p", "default", "app", containerID)
	f.passUntil("the first lines shipped", func() bool { return len(logs.messages(key)) >= 2 })
	write("three")
	f.passUntil("the next line shipped", func() bool { return len(logs.messages(key)) >= 3 })
	f.passes(3)
	if got := logs.messages(key); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Fatalf("shipped %q", got)
	}

	// keks restarts: a new scheduler with new informers. What was shipped
	// before is not shipped again; what the container writes next is.
	kube := &kubeclient.Cache{}
	kube.Set(f.cluster.UID, f.cs)
	t.Cleanup(kube.Close)
	cfg.Kube = kube
	cfg.Log = slog.New(slog.NewTextHandler(logWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f.c = New(cfg)
	f.passUntil("the restarted scheduler synced", func() bool {
		s := &clusterPass{c: f.c, cl: f.cluster, cs: f.cs}
		return s.watch() == nil && s.synced()
	})
	f.passes(3)
	if got := logs.messages(key); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("after a restart, shipped %q: the lines shipped before were shipped again", got)
	}
	write("four")
	f.passUntil("a line written after the restart shipped", func() bool { return slices.Contains(logs.messages(key), "four") })
	if got := logs.messages(key); !slices.Equal(got[len(got)-1:], []string{"four"}) || len(got) > 4 {
		t.Errorf("after a restart, shipped %q", got)
	}
}
