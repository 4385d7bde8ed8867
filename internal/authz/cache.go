package authz

import (
	"sync"

	"github.com/keksdev/keks/internal/iam/policy"
)

// maxCachedDocuments bounds the parsed-document cache; past it the cache
// starts over, which costs one parse per document in use.
const maxCachedDocuments = 4096

// documentCache keeps documents parsed: the same few (AdministratorAccess,
// a team's policies) are evaluated on every call.
type documentCache struct {
	mu   sync.Mutex
	docs map[cacheKey]*policy.Document
}

type cacheKey struct {
	text string
	kind policy.Kind
}

func (c *documentCache) parse(text string, kind policy.Kind) (*policy.Document, error) {
	k := cacheKey{text, kind}
	c.mu.Lock()
	d, ok := c.docs[k]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := policy.Parse(text, kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.docs == nil || len(c.docs) >= maxCachedDocuments {
		c.docs = map[cacheKey]*policy.Document{}
	}
	c.docs[k] = d
	return d, nil
}
