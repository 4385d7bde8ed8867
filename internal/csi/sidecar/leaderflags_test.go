package sidecar

import (
	"flag"
	"testing"
	"time"
)

func TestLeaderElectionFlagsAreUpstreams(t *testing.T) {
	var flags LeaderElectionFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	flags.Register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if flags.Enabled || flags.Namespace != "" || flags.LeaseDuration != 15*time.Second ||
		flags.RenewDeadline != 10*time.Second || flags.RetryPeriod != 5*time.Second || len(flags.Labels) != 0 {
		t.Errorf("defaults %+v", flags)
	}
	if err := fs.Parse([]string{"--leader-election=true", "--leader-election-labels=b:2,a:1", "--leader-election-labels=c:3"}); err != nil {
		t.Fatal(err)
	}
	if !flags.Enabled || flags.Labels.String() != "a:1,b:2,c:3" {
		t.Errorf("parsed %+v, labels %q", flags, flags.Labels.String())
	}
	if flags.HealthCheck() == nil {
		t.Error("no leader health check with leader election")
	}
}

func TestMalformedLabelsAreRefused(t *testing.T) {
	for _, value := range []string{"novalue", "a:b:c", "a:1,b"} {
		var labels Labels
		if err := labels.Set(value); err == nil {
			t.Errorf("%q accepted as %v", value, labels)
		}
	}
}
