package fargatescheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/keksdev/keks/internal/fargate"
)

// told is one event said of one pod.
type told struct {
	pod            types.UID
	reason, detail string
}

// event records an event of a pod from the fargate-scheduler, once per
// pod, reason and message.
func (s *clusterPass) event(ctx context.Context, p *corev1.Pod, typ, reason, message string) {
	key := told{p.UID, reason, message}
	if s.c.said[key] {
		return
	}
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: p.Name + ".", Namespace: p.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.Namespace, Name: p.Name,
			UID: p.UID, ResourceVersion: p.ResourceVersion},
		Reason: reason, Message: message, Type: typ,
		Source:         corev1.EventSource{Component: fargate.SchedulerName},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: fargate.SchedulerName, ReportingInstance: fargate.SchedulerName,
	}
	if _, err := s.cs.CoreV1().Events(p.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		s.c.cfg.Log.Warn("fargate: record event", "pod", p.Namespace+"/"+p.Name, "reason", reason, "err", err)
		return
	}
	s.c.said[key] = true
}

// unschedulable tells a pod why it cannot run, as a FailedScheduling event
// and its PodScheduled condition, as a scheduler does.
func (s *clusterPass) unschedulable(ctx context.Context, p *corev1.Pod, reason, message string) {
	s.event(ctx, p, corev1.EventTypeWarning, "FailedScheduling", message)
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == reason && c.Message == message {
			return
		}
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: message,
		LastTransitionTime: metav1.NewTime(time.Now()),
	}}}})
	if _, err := s.cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status"); err != nil {
		s.c.cfg.Log.Warn("fargate: set PodScheduled", "pod", p.Namespace+"/"+p.Name, "err", err)
	}
}

// forgetGone drops what was told of pods that are gone.
func (c *Controller) forgetGone(present map[types.UID]bool) {
	for k := range c.said {
		if !present[k.pod] {
			delete(c.said, k)
		}
	}
}

func podRef(p *corev1.Pod) string { return fmt.Sprintf("%s/%s", p.Namespace, p.Name) }
