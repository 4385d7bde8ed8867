package main

import (
	"slices"
	"testing"
)

func TestSidecarIsChosenByNameOrFirstArgument(t *testing.T) {
	for _, tc := range []struct {
		argv     []string
		wantName string
		wantArgs []string
	}{
		{[]string{"/csi-resizer", "--v=2"}, "csi-resizer", []string{"--v=2"}},
		{[]string{"/usr/bin/csi-node-driver-registrar"}, "csi-node-driver-registrar", []string{}},
		{[]string{"./csi-sidecars", "livenessprobe", "--csi-address=/csi/csi.sock"}, "livenessprobe", []string{"--csi-address=/csi/csi.sock"}},
	} {
		name, args, err := chooseSidecar(tc.argv)
		if err != nil || name != tc.wantName || !slices.Equal(args, tc.wantArgs) {
			t.Errorf("chooseSidecar(%q) = %q %q %v, want %q %q", tc.argv, name, args, err, tc.wantName, tc.wantArgs)
		}
	}
	// provisioner.go may be left out while the provisioner is written.
	if _, ok := sidecars["csi-provisioner"]; ok {
		if name, args, err := chooseSidecar([]string{"/csi-provisioner", "--v=2"}); err != nil || name != "csi-provisioner" || !slices.Equal(args, []string{"--v=2"}) {
			t.Errorf("chooseSidecar(/csi-provisioner) = %q %q %v", name, args, err)
		}
	}
	for _, argv := range [][]string{{"csi-sidecars"}, {"csi-sidecars", "csi-attacher"}, {"/bin/sh"}, {}} {
		if name, _, err := chooseSidecar(argv); err == nil {
			t.Errorf("chooseSidecar(%q) = %q, want an error", argv, name)
		}
	}
}
