package sidecar

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

// ErrNothingToRun is what ParseFlags returns when the command line asked
// for the usage (-h) or the version (--version), which it printed: the
// sidecar then ends successfully.
var ErrNothingToRun = errors.New("nothing to run")

// ErrorUnlessNothingToRun is what a sidecar's Run reports for the error of
// parsing its command line: nothing when the command line only asked for
// the usage or the version, which is then done.
func ErrorUnlessNothingToRun(err error) error {
	if errors.Is(err, ErrNothingToRun) {
		return nil
	}
	return err
}

// ParseFlags parses a sidecar's command line (without the program name)
// into fs, adding --version, which prints version. Unlike fs.Parse it
// refuses arguments after the flags, as upstream's sidecars take none.
func ParseFlags(fs *flag.FlagSet, args []string, version string) error {
	showVersion := fs.Bool("version", false, "Show version.")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ErrNothingToRun
	case err != nil:
		return err
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *showVersion:
		fmt.Fprintln(os.Stdout, version)
		return ErrNothingToRun
	}
	return nil
}
