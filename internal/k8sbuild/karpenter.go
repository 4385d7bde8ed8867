package k8sbuild

// KarpenterVersion is the Karpenter AWS provider release keks builds.
// v1.15.2, the newest, does not resolve on the proxy (it needs
// sigs.k8s.io/karpenter v1.15.1, which the proxy refuses); v1.15.0 has the
// same pkg/ but for generated DRA metadata.
const KarpenterVersion = "1.15.0"

// karpenterModule is the Karpenter AWS provider's module.
const karpenterModule = "github.com/aws/karpenter-provider-aws"

// Karpenter is the Karpenter controller (AWS provider), built unchanged.
var Karpenter = AddonProgram{
	Name: "karpenter", Module: karpenterModule, Version: KarpenterVersion,
	Package: karpenterModule + "/cmd/controller",
	// As Karpenter's Makefile stamps it: the version without "v".
	Stamp: func(v string) []string { return []string{"-X", "sigs.k8s.io/karpenter/pkg/operator.Version=" + v} },
	Files: map[string][]string{karpenterModule: KarpenterCRDs},
	// The versions Karpenter's go.mod pins (timestreamwrite v1.43.1, fis
	// v1.46.1) are refused by the proxy; these resolve and build.
	Requires: []string{
		"github.com/aws/aws-sdk-go-v2/service/timestreamwrite v1.45.6",
		"github.com/aws/aws-sdk-go-v2/service/fis v1.46.12",
	},
	// Its go.mod asks for go 1.26.9, newer than the local toolchain: the
	// build takes the Go toolchain this machine's proxy approves for that.
	Toolchain: "go1.27.3",
}

// KarpenterCRDs are Karpenter's CustomResourceDefinitions, as its module
// keeps them (the Helm chart's karpenter-crd chart applies the same).
var KarpenterCRDs = []string{
	"pkg/apis/crds/karpenter.sh_nodepools.yaml",
	"pkg/apis/crds/karpenter.sh_nodeclaims.yaml",
	"pkg/apis/crds/karpenter.sh_nodeoverlays.yaml",
	"pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
	"pkg/apis/crds/autoscaling.x-k8s.io_capacitybuffers.yaml",
}
