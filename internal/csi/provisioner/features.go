package provisioner

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The feature gates upstream's provisioner knows and keks acts on.
const (
	featureTopology              = "Topology"
	featureVolumeAttributesClass = "VolumeAttributesClass"
	featureReleaseLeaseOnExit    = "ReleaseLeaderElectionOnExit"
)

// featureGates is --feature-gates: key=bool pairs separated by commas. The
// flag may be repeated (the EBS CSI manifests pass it twice) and later
// values win. Gates keks does not know are kept but mean nothing, so a
// manifest written for a newer upstream still starts.
type featureGates map[string]bool

// defaultFeatureGates are upstream's defaults. VolumeAttributesClass is on as
// in current upstream: every Kubernetes keks runs serves the GA API.
func defaultFeatureGates() featureGates {
	return featureGates{
		featureTopology:              true,
		featureVolumeAttributesClass: true,
		featureReleaseLeaseOnExit:    false,
	}
}

func (g featureGates) enabled(name string) bool { return g[name] }

func (g *featureGates) String() string {
	if g == nil {
		return ""
	}
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(*g)) {
		pairs = append(pairs, k+"="+strconv.FormatBool((*g)[k]))
	}
	return strings.Join(pairs, ",")
}

func (g *featureGates) Set(value string) error {
	if *g == nil {
		*g = featureGates{}
	}
	for _, pair := range strings.Split(value, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Errorf("missing bool value for %s", pair)
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("invalid value of %s=%s: %w", k, v, err)
		}
		(*g)[strings.TrimSpace(k)] = b
	}
	return nil
}
