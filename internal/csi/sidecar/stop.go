package sidecar

import "context"

// ErrorUnlessStopped is what a sidecar's Run reports for err: nothing once
// ctx ended, as errors are then only the stop's echo (a call cancelled, a
// driver waited for in vain).
func ErrorUnlessStopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
