package fargatescheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
)

// podsPass gives each pending Fargate pod its node, binds it once the node
// is Ready, and ends nodes whose pod is gone. It says whether anything is
// still on its way.
func (s *clusterPass) podsPass(ctx context.Context) (busy bool) {
	pods := s.fargatePods()
	byUID := map[types.UID]*corev1.Pod{}
	for _, p := range pods {
		byUID[p.UID] = p
		s.c.seen[p.UID] = true
	}
	nodeOf := map[types.UID]*ec2.Instance{}
	for i := range s.nodes {
		in := &s.nodes[i]
		p := byUID[types.UID(in.Fargate.PodUID)]
		// A node lives as long as its pod: a finished pod keeps it until the
		// pod is deleted, as on EKS.
		if p == nil || (p.Spec.NodeName != "" && p.Spec.NodeName != in.NodeName()) {
			if in.State != ec2.StateShutting {
				busy = true
				s.terminate(ctx, in)
			}
			continue
		}
		nodeOf[p.UID] = in
	}
	for _, p := range pods {
		if in := nodeOf[p.UID]; in != nil && p.Spec.NodeName != "" && s.c.logs != nil && len(in.Fargate.Logging) > 0 {
			busy = true // its logs are followed every pass
			s.c.logs.shipPod(ctx, s.cl.Account, s.cl.UID, in, p)
		}
		if p.Spec.NodeName != "" || p.DeletionTimestamp != nil {
			continue
		}
		busy = true
		var err error
		if in := nodeOf[p.UID]; in != nil {
			err = s.bindWhenReady(ctx, p, in)
		} else {
			err = s.launch(ctx, p)
		}
		if err != nil && ctx.Err() == nil {
			s.c.cfg.Log.Warn("fargate: pod not scheduled", "pod", podRef(p), "err", err)
		}
	}
	if s.c.logs != nil {
		s.c.logs.primed[s.cl.UID] = true // files of its pods seen from now on are new
	}
	return busy
}

// Messages EKS gives a pod it does not launch (shared/fargate.md A1, A2).
const (
	misconfiguredProfile = "Misconfigured Fargate Profile: fargate profile %s blocked for new launches due to: Pod execution role is not found in auth config or does not have all required permissions for launching fargate pods."
	noProfile            = "Pod provisioning timed out (will retry) for pod: %s"
)

// launch checks a pod as Fargate does and starts its node: an instance in
// one of its profile's subnets, sized for it, acting as the profile's pod
// execution role.
func (s *clusterPass) launch(ctx context.Context, p *corev1.Pod) error {
	if why := fargate.UnsupportedWithClaims(p, s.volumeOf(ctx, p.Namespace)); why != "" {
		s.unschedulable(ctx, p, corev1.PodReasonUnschedulable, fargate.NotSupportedPrefix+why)
		return nil
	}
	size, err := fargate.SizeOf(p)
	var tooBig *fargate.TooBigError
	if errors.As(err, &tooBig) {
		s.unschedulable(ctx, p, fargate.TooBigReason, fargate.TooBigMessage)
		return nil
	} else if err != nil {
		return err
	}
	fp := s.profileFor(p)
	if fp == nil {
		// Its profile is gone or going: the pod waits, as on EKS, until it is
		// made again and a profile takes it.
		s.event(ctx, p, corev1.EventTypeWarning, "FailedScheduling", fmt.Sprintf(noProfile, podRef(p)))
		return nil
	}
	mapped, err := s.roleMapped(ctx, fp.PodExecutionRoleARN)
	if err != nil {
		return err
	}
	if !mapped {
		s.event(ctx, p, corev1.EventTypeWarning, "FailedScheduling", fmt.Sprintf(misconfiguredProfile, fp.Name))
		return nil
	}
	logging := s.loggingFor(ctx, p)
	if err := s.annotate(ctx, p, size, logging.annotation); err != nil {
		return fmt.Errorf("annotate %s: %w", podRef(p), err)
	}
	if logging.reason != "" {
		s.event(ctx, p, corev1.EventTypeNormal, logging.reason, logging.message)
	}
	subnet, err := s.subnetFor(fp)
	if err != nil {
		return err
	}
	in, err := s.c.cfg.EC2.RunInstance(ctx, ec2.Instance{
		SubnetID: subnet, RoleARN: fp.PodExecutionRoleARN, KubernetesVersion: s.cl.Status.RunningVersion,
		SecurityGroupIDs: eks.InstanceSecurityGroups(s.cl, nil), // Fargate pods carry the cluster security group
		Tags:             map[string]string{"kubernetes.io/cluster/" + s.cl.Name: "owned", "eks:fargate-profile": fp.Name},
		Fargate: &ec2.FargateTask{Profile: fp.Name, PodNamespace: p.Namespace, PodName: p.Name, PodUID: string(p.UID),
			MilliCPU: size.MilliCPU, MemoryMiB: size.MemoryMiB, Logging: logging.target},
	})
	if err != nil {
		return fmt.Errorf("launch a Fargate node in %s: %w", subnet, err)
	}
	s.nodes = append(s.nodes, *in) // the next pod of this pass counts it when it picks a subnet
	s.c.cfg.Log.Info("fargate node launched", "pod", podRef(p), "node", in.NodeName(), "size", size.String())
	if s.c.cfg.InstancesChanged != nil {
		s.c.cfg.InstancesChanged()
	}
	return nil
}

// profileFor is the profile the webhook gave the pod, while it takes pods.
func (s *clusterPass) profileFor(p *corev1.Pod) *eks.FargateProfile {
	name := p.Labels[fargate.ProfileLabel]
	for i := range s.profiles {
		fp := &s.profiles[i]
		if fp.Name == name && (fp.Status == eks.FargateProfileActive || fp.Status == eks.FargateProfileCreating) {
			return fp
		}
	}
	return nil
}

// roleMapped says whether Fargate's nodes can join as the role: it has an
// access entry (API modes) or an aws-auth mapping (ConfigMap modes).
func (s *clusterPass) roleMapped(ctx context.Context, roleARN string) (bool, error) {
	canonical := eks.CanonicalPrincipalARN(roleARN)
	mode := s.cl.Spec.AuthenticationMode
	if mode != eks.AuthModeConfigMap && mode != "" {
		entries, err := s.c.cfg.EKS.AccessEntries(ctx, s.cl.UID)
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(entries, func(e eks.AccessEntry) bool {
			return strings.EqualFold(eks.CanonicalPrincipalARN(e.PrincipalARN), canonical)
		}) {
			return true, nil
		}
	}
	if mode == eks.AuthModeAPI {
		return false, nil
	}
	cm, err := s.cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return slices.ContainsFunc(authn.ParseAWSAuth(cm.Data).MapRoles, func(m authn.RoleMapping) bool {
		return strings.EqualFold(eks.CanonicalPrincipalARN(m.RoleARN), canonical)
	}), nil
}

// annotate sets the annotations Fargate gives a pod it launches.
func (s *clusterPass) annotate(ctx context.Context, p *corev1.Pod, size fargate.Size, logging string) error {
	want := map[string]string{fargate.CapacityAnnotation: size.String(), fargate.LoggingAnnotation: logging}
	changed := false
	for k, v := range want {
		if p.Annotations[k] != v {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": want}})
	_, err := s.cs.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// subnetFor picks the profile subnet with the fewest Fargate nodes.
func (s *clusterPass) subnetFor(fp *eks.FargateProfile) (string, error) {
	if len(fp.Subnets) == 0 {
		return "", fmt.Errorf("profile %s has no subnets", fp.Name)
	}
	count := map[string]int{}
	for _, in := range s.nodes {
		count[in.SubnetID]++
	}
	best := fp.Subnets[0]
	for _, sn := range fp.Subnets[1:] {
		if count[sn] < count[best] {
			best = sn
		}
	}
	return best, nil
}

// bindWhenReady binds the pod to its node once the node has registered:
// the kubelet starts it as soon as its runtime and network are ready,
// which spares the seconds until the node's Ready condition is posted and seen.
func (s *clusterPass) bindWhenReady(ctx context.Context, p *corev1.Pod, in *ec2.Instance) error {
	node := s.node(in.NodeName())
	if node == nil {
		return nil // the node's events wake the next pass
	}
	err := s.cs.CoreV1().Pods(p.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node.Name},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) {
		return nil // bound by an earlier pass whose binding the informer has not shown yet
	}
	if err != nil {
		return fmt.Errorf("bind to %s: %w", node.Name, err)
	}
	s.event(ctx, p, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s to %s", podRef(p), node.Name))
	return nil
}

// terminate ends a Fargate node whose pod is gone.
func (s *clusterPass) terminate(ctx context.Context, in *ec2.Instance) {
	if _, _, err := s.c.cfg.EC2.TerminateInstance(ctx, in.ID); err != nil {
		s.c.cfg.Log.Warn("fargate: terminate node", "node", in.NodeName(), "err", err)
		return
	}
	s.c.cfg.Log.Info("fargate node ends with its pod", "node", in.NodeName(), "pod", in.Fargate.PodNamespace+"/"+in.Fargate.PodName)
	if s.c.cfg.InstancesChanged != nil {
		s.c.cfg.InstancesChanged()
	}
}

// volumeOf finds the persistent volume a claim of the namespace is bound to.
func (s *clusterPass) volumeOf(ctx context.Context, namespace string) func(string) *corev1.PersistentVolume {
	return func(claim string) *corev1.PersistentVolume {
		pvc, err := s.cs.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, claim, metav1.GetOptions{})
		if err != nil || pvc.Spec.VolumeName == "" {
			return nil
		}
		pv, err := s.cs.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
		if err != nil {
			return nil
		}
		return pv
	}
}
