package sidecar

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func TestKubeFlagsBuildAThrottledConfig(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: secret}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var flags KubeFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	flags.Register(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if flags.QPS != 5 || flags.Burst != 10 || flags.Kubeconfig != "" || flags.Master != "" {
		t.Errorf("defaults %+v, want upstream's", flags)
	}
	if err := fs.Parse([]string{"--kubeconfig=" + kubeconfig, "--kube-api-qps=20", "--kube-api-burst=100"}); err != nil {
		t.Fatal(err)
	}
	config, err := flags.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if config.Host != "https://10.0.0.1:6443" || config.BearerToken != "secret" || config.QPS != 20 || config.Burst != 100 {
		t.Errorf("config host %s qps %v burst %d", config.Host, config.QPS, config.Burst)
	}
	flags.Master = "https://10.0.0.2:6443"
	if config, err := flags.RESTConfig(); err != nil || config.Host != "https://10.0.0.2:6443" {
		t.Errorf("--master: %v, %v", config, err)
	}
}

func TestKubeFlagsOutsideAPodWithoutKubeconfigFail(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := (KubeFlags{}).RESTConfig(); err == nil {
		t.Error("an in-cluster configuration outside a pod")
	}
}
