package ec2

import (
	"reflect"
	"testing"
)

const karpenterUserData = `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="//"

--//
Content-Type: text/x-shellscript; charset="us-ascii"

#!/bin/bash
echo custom
--//
Content-Type: application/node.eks.aws

apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: demo
    apiServerEndpoint: https://example.com
    certificateAuthority: Y2E=
    cidr: 10.100.0.0/16
  kubelet:
    config:
      maxPods: 42
      registerWithTaints:
      - key: karpenter.sh/unregistered
        effect: NoExecute
    flags:
    - --node-labels="karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default"

--//--
`

func TestParseNodeConfigFromKarpentersMIME(t *testing.T) {
	cfg, ok, err := ParseNodeConfig(karpenterUserData)
	if err != nil || !ok {
		t.Fatalf("ParseNodeConfig: ok %v, %v", ok, err)
	}
	want := NodeConfig{Cluster: "demo", MaxPods: 42, Taints: []string{"karpenter.sh/unregistered:NoExecute"},
		Labels: map[string]string{"karpenter.sh/capacity-type": "on-demand", "karpenter.sh/nodepool": "default"}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestParseNodeConfigPlainYAMLAndOthers(t *testing.T) {
	cfg, ok, err := ParseNodeConfig("---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: plain\n  kubelet:\n    flags: [\"--register-with-taints=dedicated=gpu:NoSchedule\"]\n")
	if err != nil || !ok || cfg.Cluster != "plain" || !reflect.DeepEqual(cfg.Taints, []string{"dedicated=gpu:NoSchedule"}) {
		t.Errorf("plain YAML: %+v ok %v err %v", cfg, ok, err)
	}
	if _, ok, err := ParseNodeConfig("#!/bin/bash\n/etc/eks/bootstrap.sh demo\n"); ok || err != nil {
		t.Errorf("a shell script is no NodeConfig: ok %v err %v", ok, err)
	}
	if _, _, err := ParseNodeConfig("apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec: [unclosed\n"); err == nil {
		t.Error("malformed YAML gave no error")
	}
	bad := "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster: {name: c}\n  kubelet:\n    flags: [\"--node-labels=novalue\"]\n"
	if cfg, ok, err := ParseNodeConfig(bad); err == nil || !ok || cfg.Cluster != "c" {
		t.Errorf("bad label flag: %+v ok %v err %v", cfg, ok, err)
	}
}
