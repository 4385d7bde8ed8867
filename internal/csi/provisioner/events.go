package provisioner

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// eventComponent is the source upstream's provisioning library writes its
// events under: driver, host and a per-process UUID, so that replicas on
// one host stay apart.
func eventComponent(driver string) (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("get the hostname: %w", err)
	}
	return driver + "_" + host + "_" + uuid.NewString(), nil
}

// newEventRecorder sends events to the API server (and to the log at V(4))
// until stop is called.
func newEventRecorder(ctx context.Context, kube kubernetes.Interface, component string, log *slog.Logger) (recorder record.EventRecorder, stop func()) {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events(corev1.NamespaceAll)})
	broadcaster.StartEventWatcher(func(e *corev1.Event) {
		log.Log(ctx, levelV4, "Event", "object", e.InvolvedObject.Kind+" "+e.InvolvedObject.Namespace+"/"+e.InvolvedObject.Name,
			"type", e.Type, "reason", e.Reason, "message", e.Message)
	})
	return broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}), broadcaster.Shutdown
}
