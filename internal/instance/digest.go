package instance

import (
	"crypto/sha256"
	"fmt"
)

// Digest fingerprints everything an instance is made of, so that whoever
// runs it (keks's node controller, an agent) can tell that nothing changed
// since it last made it so.
func (s *Spec) Digest() [sha256.Size]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%#v", *s))
}
