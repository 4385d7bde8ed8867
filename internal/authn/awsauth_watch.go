package authn

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// AWSAuthWatcher keeps each cluster's kube-system/aws-auth ConfigMap as
// the cluster has it, through one watch per cluster (as the authenticator
// on EKS watches it), so an edit reaches the authenticators in moments and
// an idle cluster is asked nothing.
type AWSAuthWatcher struct {
	// Client returns keks's client of a cluster.
	Client func(clusterUID string) (kubernetes.Interface, error)

	mu      sync.Mutex
	ctx     context.Context
	watches map[string]*awsAuthWatch
}

type awsAuthWatch struct {
	stop    context.CancelFunc
	factory informers.SharedInformerFactory
	lister  listers.ConfigMapLister
	synced  cache.InformerSynced
}

// Run owns the watches: they end with ctx.
func (w *AWSAuthWatcher) Run(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	for uid, aw := range w.watches {
		aw.stop()
		aw.factory.Shutdown()
		delete(w.watches, uid)
	}
}

// Get returns the cluster's mappings (empty when it has no aws-auth), or
// nil while they are not known yet; the first call starts the watch, and
// changed is called on every change after that.
func (w *AWSAuthWatcher) Get(clusterUID string, changed func()) *AWSAuth {
	aw := w.watch(clusterUID, changed)
	if aw == nil || !aw.synced() {
		return nil
	}
	cm, err := aw.lister.ConfigMaps(metav1.NamespaceSystem).Get(awsAuthName)
	if apierrors.IsNotFound(err) {
		return &AWSAuth{}
	} else if err != nil {
		return nil
	}
	return ParseAWSAuth(cm.Data)
}

const awsAuthName = "aws-auth"

func (w *AWSAuthWatcher) watch(clusterUID string, changed func()) *awsAuthWatch {
	w.mu.Lock()
	defer w.mu.Unlock()
	if aw, ok := w.watches[clusterUID]; ok {
		return aw
	}
	if w.ctx == nil || w.ctx.Err() != nil {
		return nil
	}
	cs, err := w.Client(clusterUID)
	if err != nil {
		return nil
	}
	ctx, stop := context.WithCancel(w.ctx)
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(metav1.NamespaceSystem),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "metadata.name=" + awsAuthName }))
	inf := factory.Core().V1().ConfigMaps()
	notify := func(any) { changed() }
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: notify, DeleteFunc: notify,
		UpdateFunc: func(old, cur any) {
			if o, ok := old.(*corev1.ConfigMap); ok {
				if c, ok := cur.(*corev1.ConfigMap); ok && o.ResourceVersion == c.ResourceVersion {
					return // a relist, not a change
				}
			}
			changed()
		},
	})
	aw := &awsAuthWatch{stop: stop, factory: factory, lister: inf.Lister(), synced: inf.Informer().HasSynced}
	factory.Start(ctx.Done())
	if w.watches == nil {
		w.watches = map[string]*awsAuthWatch{}
	}
	w.watches[clusterUID] = aw
	return aw
}

// Forget stops a deleted cluster's watch.
func (w *AWSAuthWatcher) Forget(clusterUID string) {
	w.mu.Lock()
	aw, ok := w.watches[clusterUID]
	delete(w.watches, clusterUID)
	w.mu.Unlock()
	if ok {
		aw.stop()
		aw.factory.Shutdown()
	}
}
