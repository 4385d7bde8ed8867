package nodes

import "github.com/keksdev/keks/internal/hostnet"

// The host's rules for instances live in hostnet, which `keks agent` uses
// too; these are the names the controller calls them by.

func raiseHostLimits() error                    { return hostnet.RaiseLimits() }
func ensureEgress(sources []string) error       { return hostnet.EnsureEgress(sources) }
func removeEgress() error                       { return hostnet.RemoveEgress() }
func ensureServiceRanges(ranges []string) error { return hostnet.EnsureServiceRanges(ranges) }
func removeServiceRanges() error                { return hostnet.RemoveServiceRanges() }
