package provisioner

import (
	"sync"

	"github.com/container-storage-interface/spec/lib/go/csi"
)

// inflightClaims remembers the claims whose CreateVolume may still be
// running in the driver (it timed out, or the connection broke): if such a
// claim is deleted, its volume must still be found and deleted, and only
// the request it was created with can find it.
type inflightClaims struct {
	mu       sync.Mutex
	requests map[string]*csi.CreateVolumeRequest // by claim UID
}

func newInflightClaims() *inflightClaims {
	return &inflightClaims{requests: map[string]*csi.CreateVolumeRequest{}}
}

func (f *inflightClaims) remember(uid string, request *csi.CreateVolumeRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[uid] = request
}

func (f *inflightClaims) get(uid string) (*csi.CreateVolumeRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.requests[uid]
	return r, ok
}

func (f *inflightClaims) forget(uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.requests, uid)
}
