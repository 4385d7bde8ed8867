package ssm

import (
	"sort"

	"github.com/keksdev/keks/internal/kubeversions"
)

// eksAMIPrefix is where AWS publishes the EKS-optimized AMIs.
const eksAMIPrefix = "/aws/service/eks/optimized-ami/"

// publicParameters are the public parameters keks serves, by name: for
// each Kubernetes minor keks offers, the recommended Amazon Linux 2023
// (x86_64, standard) and Amazon Linux 2 AMIs' image id and release, all
// keks's one node image of that minor. (AWS stopped AL2 AMIs at 1.32;
// keks serves them for every minor, as older tools ask for them.)
func publicParameters(region string) map[string]Parameter {
	out := map[string]Parameter{}
	add := func(name, value string) {
		out[name] = Parameter{Name: name, Type: TypeString, Value: value, Version: 1, DataType: DataTypeText,
			ARN: ARN(region, "", name), LastModified: kubeversions.NodeImageDate(), Tier: TierStandard}
	}
	for _, v := range kubeversions.All() {
		release := v.NodeReleaseVersion()
		for _, family := range []string{"amazon-linux-2023/x86_64/standard", "amazon-linux-2"} {
			base := eksAMIPrefix + v.Minor + "/" + family + "/recommended/"
			add(base+"image_id", kubeversions.NodeImageID(release))
			add(base+"release_version", release)
		}
	}
	return out
}

// publicUnder lists the public parameters under path, in name order.
func publicUnder(region, path string, recursive bool) []Parameter {
	var out []Parameter
	for name, p := range publicParameters(region) {
		if underPath(name, path, recursive) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
