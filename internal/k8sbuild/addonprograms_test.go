package k8sbuild

import (
	"strings"
	"testing"
)

// The Karpenter build's module carries the requires the proxy resolves,
// and its go commands the newer toolchain; the other programs' do not change.
func TestAddonProgramModule(t *testing.T) {
	mod := Karpenter.goMod()
	for _, want := range []string{
		"require github.com/aws/karpenter-provider-aws v1.15.0\n",
		"require github.com/aws/aws-sdk-go-v2/service/timestreamwrite v1.45.6\n",
		"require github.com/aws/aws-sdk-go-v2/service/fis v1.46.12\n",
	} {
		if !strings.Contains(mod, want) {
			t.Errorf("karpenter go.mod lacks %q:\n%s", want, mod)
		}
	}
	if got := Karpenter.goEnv(); len(got) != 1 || got[0] != "GOTOOLCHAIN=go1.27.3" {
		t.Errorf("karpenter env = %q", got)
	}
	if got, want := MetricsServer.goMod(), "module keks.local/metrics-server\n\ngo 1.26.0\n\nrequire sigs.k8s.io/metrics-server v0.8.0\n"; got != want {
		t.Errorf("metrics-server go.mod = %q, want %q", got, want)
	}
	if got := MetricsServer.goEnv(); got != nil {
		t.Errorf("metrics-server env = %q", got)
	}
	if got := Karpenter.Image(); got != "karpenter/controller:1.15.0" {
		t.Errorf("karpenter image = %q", got)
	}
}
