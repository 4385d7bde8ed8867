package nodes

// The redirect's rules are hostnet's (EnsureMetadataRedirect); this is when
// the controller makes and removes them.

import (
	"time"

	"github.com/keksdev/keks/internal/hostnet"
)

// noMetadataRedirect is Controller.metadataFor once the redirect is removed.
const noMetadataRedirect = "none"

// metadataRedirect makes the host's redirect to keks's metadata service
// while instances exist (wanted) and removes it when none do. iptables is
// asked again when that changes and, while the redirect is on, after
// resyncPeriod, so rules removed by hand come back.
func (c *Controller) metadataRedirect(wanted bool) {
	to := noMetadataRedirect
	if wanted && c.cfg.MetadataAddress != "" {
		to = c.cfg.MetadataAddress
	}
	if to == c.metadataFor && (to == noMetadataRedirect || time.Since(c.metadataAt) < resyncPeriod) {
		return
	}
	var err error
	if to == noMetadataRedirect {
		err = hostnet.RemoveMetadataRedirect()
	} else {
		err = hostnet.EnsureMetadataRedirect(to)
	}
	if err != nil {
		c.log.Warn("instance metadata redirect", "to", to, "err", err)
		return
	}
	c.metadataFor, c.metadataAt = to, time.Now()
}
