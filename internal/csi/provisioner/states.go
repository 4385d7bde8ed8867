package provisioner

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// provisioningState says, with a failed attempt, whether the driver may
// still be creating the volume, which decides what a retry must do.
type provisioningState int

const (
	// stateFinished: nothing is in flight; a retry starts afresh.
	stateFinished provisioningState = iota
	// stateInBackground: CreateVolume may still be running in the driver;
	// the claim must be followed even if it is deleted.
	stateInBackground
	// stateNoChange: the attempt failed before CreateVolume; whatever was
	// in flight before still is.
	stateNoChange
	// stateReschedule: the selected node cannot have the volume; the
	// scheduler must pick again.
	stateReschedule
)

// errStopProvision ends work on a claim for good without an error: the
// volume exists already, the claim is another provisioner's, or the
// scheduler was asked to pick another node.
var errStopProvision = errors.New("stop provisioning")

// ignoredError is a claim this provisioner leaves to someone else (a volume
// populator), with the reason for the log.
type ignoredError struct{ reason string }

func (e *ignoredError) Error() string { return "ignored because " + e.reason }

// createVolumeState classifies a failed CreateVolume as upstream does.
func createVolumeState(err error, mayReschedule bool) provisioningState {
	st, ok := status.FromError(err)
	if !ok {
		// Not from gRPC: whether a call went out is unknown.
		return stateInBackground
	}
	switch st.Code() {
	case codes.ResourceExhausted:
		// The driver has no room where it was asked to put the volume; with
		// late binding another node may have room.
		if mayReschedule {
			return stateReschedule
		}
		return stateFinished
	case codes.Canceled, codes.DeadlineExceeded, codes.Unavailable, codes.Aborted:
		// Timed out, connection broken, or "operation pending": the
		// volume may still be on its way.
		return stateInBackground
	}
	return stateFinished
}
