package resizer

import (
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// isFinalError says the driver's expansion is certainly not under way any
// more, so the PVC may be recovered to another size. Errors that do not
// come from the driver (no gRPC status) and those where the driver may
// still be working (timeouts, Aborted...) are not final.
func isFinalError(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		return false
	}
	return true
}

// isInfeasibleError says retrying the same size is pointless: the PVC is
// marked ControllerResizeInfeasible, which lets the user lower the request.
func isInfeasibleError(err error) bool {
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange, codes.NotFound:
		return true
	}
	return false
}

// isInUseError is the CSI spec's answer of a driver that can only expand
// volumes no node uses.
func isInUseError(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.FailedPrecondition
}

// delayedRetry asks the worker to look at the PVC again after a while
// rather than with the rate limiter's backoff.
type delayedRetry struct {
	reason string
	after  time.Duration
}

func (e *delayedRetry) Error() string { return e.reason }

func asDelayedRetry(err error) (*delayedRetry, bool) {
	var d *delayedRetry
	ok := errors.As(err, &d)
	return d, ok
}
