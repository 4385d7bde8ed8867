package eksctl

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Stack names, as eksctl names its stacks.

// ClusterStackName is the cluster stack of a cluster.
func ClusterStackName(cluster string) string { return "eksctl-" + cluster + "-cluster" }

// NodeGroupStackName is a node group's stack.
func NodeGroupStackName(cluster, nodeGroup string) string {
	return "eksctl-" + cluster + "-nodegroup-" + nodeGroup
}

// ServiceAccountStackName is an IAM service account's stack.
func ServiceAccountStackName(cluster, namespace, name string) string {
	return "eksctl-" + cluster + "-addon-iamserviceaccount-" + namespace + "-" + name
}

// stackKind tells which of a cluster's stacks a name is, and for a node
// group or service account stack, what it is for.
func stackKind(cluster, stackName string) (kind, rest string) {
	switch p := "eksctl-" + cluster + "-"; {
	case stackName == ClusterStackName(cluster):
		return "cluster", ""
	case strings.HasPrefix(stackName, p+"nodegroup-"):
		return "nodegroup", strings.TrimPrefix(stackName, p+"nodegroup-")
	case strings.HasPrefix(stackName, p+"addon-iamserviceaccount-"):
		return "iamserviceaccount", strings.TrimPrefix(stackName, p+"addon-iamserviceaccount-")
	case strings.HasPrefix(stackName, p+"addon-"):
		return "addon", strings.TrimPrefix(stackName, p+"addon-")
	case strings.HasPrefix(stackName, p+"accessentry-"):
		return "accessentry", strings.TrimPrefix(stackName, p+"accessentry-")
	}
	return "", ""
}

// Tags eksctl puts on its stacks and resources.
const (
	TagClusterName       = "alpha.eksctl.io/cluster-name"
	TagClusterNameLegacy = "eksctl.cluster.k8s.io/v1alpha1/cluster-name"
	TagVersion           = "alpha.eksctl.io/eksctl-version"
	TagNodeGroupName     = "alpha.eksctl.io/nodegroup-name"
	TagNodeGroupType     = "alpha.eksctl.io/nodegroup-type"
	TagServiceAccount    = "alpha.eksctl.io/iamserviceaccount-name"
	TagClusterOIDC       = "alpha.eksctl.io/cluster-oidc-enabled"
)

// Version is keks's version, which its eksctl reports and tags its stacks with.
var Version = "dev"

var adjectives = []string{"attractive", "beautiful", "boisterous", "exciting", "fabulous", "floral", "hilarious", "scrumptious", "unique", "wonderful", "ferocious", "gorgeous", "adorable", "delightful", "extravagant", "noisy"}
var nouns = []string{"badger", "mushroom", "sculpture", "unicorn", "wardrobe", "rainbow", "hideout", "mongoose", "outfit", "party", "monster", "painting", "sheepdog", "gopher", "creature", "gopher"}

// RandomClusterName is a name as eksctl generates one: two words and the time.
func RandomClusterName(now time.Time) string {
	return fmt.Sprintf("%s-%s-%d", pick(adjectives), pick(nouns), now.Unix())
}

// RandomNodeGroupName is "ng-" and 8 hex digits, as eksctl's.
func RandomNodeGroupName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "ng-" + hex.EncodeToString(b)
}

func pick(words []string) string {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
	if err != nil {
		return words[0]
	}
	return words[n.Int64()]
}

// logicalZone is a zone as eksctl puts it in logical ids: us-east-1a -> USEAST1A.
func logicalZone(zone string) string {
	return strings.ToUpper(strings.ReplaceAll(zone, "-", ""))
}
