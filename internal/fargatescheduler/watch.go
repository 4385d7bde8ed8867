package fargatescheduler

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
)

// clusterPass is one pass over one cluster.
type clusterPass struct {
	c        *Controller
	cl       *eks.Cluster
	cs       kubernetes.Interface
	profiles []eks.FargateProfile
	nodes    []ec2.Instance // the cluster's Fargate instances

	pods, nodeObjs cache.SharedIndexInformer
}

// watch subscribes the scheduler to the cluster's pods and nodes, so a new
// pod or a node turning Ready wakes it at once.
func (s *clusterPass) watch() error {
	var err error
	if s.pods, err = s.c.cfg.Kube.Informer(s.cl.UID, "fargate-scheduler/pods", func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Pods().Informer()
	}, s.c.Wake); err != nil {
		return err
	}
	s.nodeObjs, err = s.c.cfg.Kube.Informer(s.cl.UID, "fargate-scheduler/nodes", func(f informers.SharedInformerFactory) cache.SharedIndexInformer {
		return f.Core().V1().Nodes().Informer()
	}, s.c.Wake)
	return err
}

func (s *clusterPass) synced() bool { return s.pods.HasSynced() && s.nodeObjs.HasSynced() }

// fargatePods are the pods handed to the fargate-scheduler.
func (s *clusterPass) fargatePods() []*corev1.Pod {
	var out []*corev1.Pod
	for _, o := range s.pods.GetStore().List() {
		if p, ok := o.(*corev1.Pod); ok && p.Spec.SchedulerName == fargate.SchedulerName {
			out = append(out, p)
		}
	}
	return out
}

func (s *clusterPass) node(name string) *corev1.Node {
	o, ok, _ := s.nodeObjs.GetStore().GetByKey(name)
	if !ok {
		return nil
	}
	n, _ := o.(*corev1.Node)
	return n
}
