package main

import "github.com/keksdev/keks/internal/csi/provisioner"

// The provisioner is written apart from the other sidecars; its one
// reference lives here so it can be left out by removing this file alone.
func init() {
	sidecars["csi-provisioner"] = provisioner.Run
}
