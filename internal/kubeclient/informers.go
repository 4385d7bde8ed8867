package kubeclient

import (
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// watches holds the informers keks runs in one cluster, in place of polls:
// one watch per kind, shared by every controller that reads it.
type watches struct {
	factory informers.SharedInformerFactory
	stop    chan struct{}
	// subscribed records which subscribers have an event handler, so that a
	// controller asking every pass registers once.
	subscribed map[string]bool
}

// Informer returns a cluster's shared informer of one kind (picked from the
// factory by kind), running until the cluster is forgotten or the cache
// closed. The first call by a subscriber has onChange called on every event
// of that kind. Read it only once HasSynced says its cache is filled.
func (c *Cache) Informer(clusterUID, subscriber string, kind func(informers.SharedInformerFactory) cache.SharedIndexInformer, onChange func()) (cache.SharedIndexInformer, error) {
	cs, err := c.For(clusterUID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.watches[clusterUID]
	if !ok {
		// No resync: the events are what wakes the subscribers; their own
		// periodic passes cover anything an event could miss.
		w = &watches{factory: informers.NewSharedInformerFactory(cs, 0), stop: make(chan struct{}), subscribed: map[string]bool{}}
		if c.watches == nil {
			c.watches = map[string]*watches{}
		}
		c.watches[clusterUID] = w
	}
	inf := kind(w.factory)
	if onChange != nil && !w.subscribed[subscriber] {
		handler := cache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { onChange() },
			UpdateFunc: func(any, any) { onChange() },
			DeleteFunc: func(any) { onChange() },
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, err
		}
		w.subscribed[subscriber] = true
	}
	w.factory.Start(w.stop) // starts only the informers not yet running
	return inf, nil
}

// stopWatches ends a cluster's informers; the caller holds c.mu.
func (c *Cache) stopWatches(clusterUID string) {
	if w, ok := c.watches[clusterUID]; ok {
		close(w.stop)
		delete(c.watches, clusterUID)
	}
}

// Close ends every cluster's informers, when keks stops.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for uid := range c.watches {
		c.stopWatches(uid)
	}
}
