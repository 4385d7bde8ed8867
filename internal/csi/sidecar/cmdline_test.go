package sidecar

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"testing"
)

func parseTestFlags(args ...string) (string, error) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	address := fs.String("csi-address", "/run/csi/socket", "")
	err := ParseFlags(fs, args, "test (keks)")
	return *address, err
}

func TestParseFlagsEndsTheSidecarForHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"--version"}} {
		if _, err := parseTestFlags(args...); !errors.Is(err, ErrNothingToRun) {
			t.Errorf("%q: %v, want ErrNothingToRun", args, err)
		}
	}
	if address, err := parseTestFlags("--csi-address=/csi/csi.sock"); err != nil || address != "/csi/csi.sock" {
		t.Errorf("flags: %q, %v", address, err)
	}
	for _, args := range [][]string{{"stray"}, {"--no-such-flag"}, {"--version", "stray"}} {
		if _, err := parseTestFlags(args...); err == nil || errors.Is(err, ErrNothingToRun) {
			t.Errorf("%q: %v, want an error", args, err)
		}
	}
}

func TestNothingToRunIsNoError(t *testing.T) {
	if err := ErrorUnlessNothingToRun(fmt.Errorf("csi-resizer: %w", ErrNothingToRun)); err != nil {
		t.Errorf("nothing to run: %v, want nil", err)
	}
	failed := errors.New("unexpected arguments")
	if err := ErrorUnlessNothingToRun(failed); !errors.Is(err, failed) {
		t.Errorf("a bad command line: %v", err)
	}
}

func TestErrorsAfterStopAreTheStopsEcho(t *testing.T) {
	failed := errors.New("driver gone")
	ctx, cancel := context.WithCancel(context.Background())
	if err := ErrorUnlessStopped(ctx, failed); !errors.Is(err, failed) {
		t.Errorf("while running: %v", err)
	}
	cancel()
	if err := ErrorUnlessStopped(ctx, failed); err != nil {
		t.Errorf("once stopped: %v, want nil", err)
	}
}
