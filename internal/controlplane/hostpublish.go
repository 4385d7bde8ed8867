package controlplane

import (
	"os"

	"github.com/keksdev/keks/internal/pki"
)

// publishHost writes a bundle into the cluster's directory. A leaf is
// issued only when its files are missing, name other hosts, come from
// another CA or near their expiry (pki.CA.IssueFiles); a document is
// written only when its content changed, and atomically, since running
// processes read it. Nothing that is not in the bundle is removed.
func publishHost(pl hostPlacement, b *Bundle) error {
	// The cluster's directory and its keys are the owner's alone.
	for _, dir := range []string{"pki", "kubeconfig"} {
		if err := os.MkdirAll(pl.File(dir), 0o700); err != nil {
			return err
		}
	}
	for _, l := range b.Leaves {
		if err := l.CA.IssueFiles(pl.File("pki"), l.Name, l.Leaf); err != nil {
			return err
		}
	}
	for _, name := range b.names() {
		d := b.Documents[name]
		if err := pki.WriteFileIfChanged(pl.File(name), d.Data, d.Mode); err != nil {
			return err
		}
	}
	return nil
}

// hostPublished reads back what publishHost wrote.
func hostPublished(pl hostPlacement) Published {
	return func(name string) ([]byte, error) { return os.ReadFile(pl.File(name)) }
}
