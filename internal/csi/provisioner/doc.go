// Package provisioner is keks's CSI external-provisioner: the sidecar that
// runs next to a CSI driver's controller service (aws-ebs-csi-driver's
// ebs-plugin, for keks) and turns PersistentVolumeClaims into volumes and
// PersistentVolumes, and Released PersistentVolumes back into nothing.
//
// Kubernetes's kubernetes-csi/external-provisioner is not served by the Go
// module proxy, so keks carries this one. It answers to the same flags, talks
// the same protocol with kube-controller-manager's PersistentVolume
// controller (the storage-provisioner and selected-node annotations on the
// claim, the claimRef and provisioned-by annotation on the volume, the
// external-provisioner finalizer) and writes the same events, so the driver's
// standard manifests and the usual kubectl workflows behave as they do on
// EKS.
//
// The pieces, each in its own file: Run parses the flags and wires
// everything (run.go); what the driver says about itself (driverinfo.go);
// the Lease's name (leader.go); the controller with its informers and
// queues (controller.go); provisioning a
// claim (claimsync.go, provision.go, request.go and the helpers they use);
// saving the PersistentVolume without leaking the volume (pvsaver.go); and
// deleting released volumes (volumesync.go). What every keks sidecar does
// alike (the driver connection, leader election, the diagnostics endpoint,
// logging, the Kubernetes client configuration) is internal/csi/sidecar's.
package provisioner
