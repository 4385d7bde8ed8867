package controlplane

import (
	"os"
	"sort"

	"github.com/keksdev/keks/internal/pki"
)

// Bundle is everything a control plane is given, whatever runs it: its
// documents (CA certificates, the service-account key, kubeconfigs,
// component configurations, the identity snapshot...) by name, and the
// leaf certificates its members need, each asked of one of its CAs. Names
// are relative: "pki/ca.crt", "kubeconfig/scheduler-a.kubeconfig",
// "endpoint.json"; a Placement's PKI, Kubeconfig and File name the same
// documents where its members find them.
//
// Leaves are requests, not certificates: issuing one is the runtime's
// part, because whether an issued leaf is still good (same names, same
// CA, far from expiry) can only be told from the one it published.
type Bundle struct {
	Documents map[string]Document
	Leaves    []LeafRequest
}

// Document is one file of a bundle, with the mode the host gives it: 0600
// for what carries a key or a credential, 0644 for what does not.
type Document struct {
	Data []byte
	Mode os.FileMode
}

// LeafRequest asks CA for a certificate and key named Name (published as
// pki/<Name>.crt and pki/<Name>.key).
type LeafRequest struct {
	Name string
	CA   *pki.CA
	Leaf pki.Leaf
}

// Published reads back a document a runtime published for a cluster: its
// previous identity snapshot and KMS role session, which a new bundle
// carries on.
type Published func(name string) ([]byte, error)

func newBundle() *Bundle { return &Bundle{Documents: map[string]Document{}} }

func (b *Bundle) add(name string, data []byte, mode os.FileMode) {
	b.Documents[name] = Document{Data: data, Mode: mode}
}

func (b *Bundle) issue(ca *pki.CA, name string, l pki.Leaf) {
	b.Leaves = append(b.Leaves, LeafRequest{Name: name, CA: ca, Leaf: l})
}

// names lists the documents in a fixed order.
func (b *Bundle) names() []string {
	out := make([]string, 0, len(b.Documents))
	for n := range b.Documents {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Document names of the certificates, keys and kubeconfigs of a bundle.
func pkiDoc(name string) string        { return "pki/" + name }
func kubeconfigDoc(user string) string { return "kubeconfig/" + user + ".kubeconfig" }
