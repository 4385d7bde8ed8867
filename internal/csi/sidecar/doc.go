// Package sidecar is what keks's CSI sidecars (provisioner, resizer,
// registrar, livenessprobe) share, so that each behaviour upstream's
// csi-lib-utils gives all of them is written once: reaching the driver over
// its socket and telling when it is lost (dial.go, conn.go, probe.go,
// identity.go), leader election on a Lease (leader.go, leaderflags.go), the
// diagnostics endpoint (diagnostics.go, httpserver.go), the Kubernetes client
// configuration (kube.go), logging (logging.go) and events (events.go), the
// command line's common handling (cmdline.go, stop.go), and the pieces of
// the CSI requests built from Kubernetes objects (accessmode.go, secrets.go).
//
// Each sidecar keeps its own flags (names and defaults differ per upstream
// sidecar); the flag groups here are the ones whose names and defaults are
// the same wherever upstream has them.
package sidecar
