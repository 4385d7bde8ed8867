package eksctl

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// Manager runs eksctl's operations against the AWS APIs.
type Manager struct {
	Clients Clients
	Kube    Kube
	Log     *Logger
	// Poll is how often waits ask again (default 5s).
	Poll time.Duration
	// Zones are the region's availability zones (keks offers <region>a/b/c).
	Zones func(region string) []string
	// Shuffle picks zones; eksctl picks them at random.
	Shuffle func(zones []string)
}

func (m *Manager) stacks() *Stacks { return &Stacks{CFN: m.Clients.CFN, Log: m.Log, Poll: m.Poll} }

func (m *Manager) poll() time.Duration {
	if m.Poll > 0 {
		return m.Poll
	}
	return defaultPoll
}

// defaultPoll is how often a wait asks again. eksctl waits on AWS every
// 20-30 s; keks answers on this machine, where one call a second costs
// nothing and a step ends as soon as its resource does.
const defaultPoll = time.Second

// selectZones picks eksctl's number of zones: 3 (2 in us-east-1), at random.
func (m *Manager) selectZones(region string) ([]string, error) {
	zones := append([]string(nil), m.Zones(region)...)
	if len(zones) < MinRequiredZones {
		return nil, fmt.Errorf("only %d zones discovered %v, at least %d are required", len(zones), zones, MinRequiredZones)
	}
	want := RecommendedZones
	if region == "us-east-1" {
		want = MinRequiredZones
	}
	if len(zones) <= want {
		return zones, nil
	}
	if m.Shuffle != nil {
		m.Shuffle(zones)
	} else {
		rand.Shuffle(len(zones), func(i, j int) { zones[i], zones[j] = zones[j], zones[i] })
	}
	return zones[:want], nil
}

// PrepareNetwork completes the config's network: zones and eksctl's
// subnet split for a VPC the stack makes, or the given subnets' VPC and
// zones from EC2.
func (m *Manager) PrepareNetwork(ctx context.Context, cfg *ClusterConfig) error {
	if cfg.VPC.ID == "" && !cfg.HasSubnetIDs() {
		if len(cfg.AvailabilityZones) == 0 {
			zones, err := m.selectZones(cfg.Metadata.Region)
			if err != nil {
				return err
			}
			cfg.AvailabilityZones = zones
			m.Log.Info("setting availability zones to %v", zones)
		}
		if len(cfg.AvailabilityZones) < MinRequiredZones {
			return fmt.Errorf("only %d zones specified %v, %d are required (can be non-unique)", len(cfg.AvailabilityZones), cfg.AvailabilityZones, MinRequiredZones)
		}
		if cfg.VPC.Subnets == nil || (len(cfg.VPC.Subnets.Public) == 0 && len(cfg.VPC.Subnets.Private) == 0) {
			lines, err := SetSubnets(cfg)
			if err != nil {
				return err
			}
			for _, l := range lines {
				m.Log.Info("%s", l)
			}
		}
		return nil
	}
	return m.importSubnets(ctx, cfg)
}

// importSubnets describes the given subnets: one VPC, their zones and
// CIDRs, keyed by zone as eksctl keys them (by id when a zone repeats).
func (m *Manager) importSubnets(ctx context.Context, cfg *ClusterConfig) error {
	var ids []string
	for _, set := range []map[string]Network{cfg.VPC.Subnets.Public, cfg.VPC.Subnets.Private} {
		for _, k := range sortedKeys(set) {
			n := set[k]
			if n.ID == "" {
				return fmt.Errorf("subnets must all be given by id when any is")
			}
			ids = append(ids, n.ID)
		}
	}
	out, err := m.Clients.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return fmt.Errorf("describing subnets %v: %w", ids, err)
	}
	byID := map[string]Network{}
	for _, s := range out.Subnets {
		vpc := aws.ToString(s.VpcId)
		if cfg.VPC.ID == "" {
			cfg.VPC.ID = vpc
		} else if cfg.VPC.ID != vpc {
			return fmt.Errorf("given subnets (%s) are not in the same VPC as %s", aws.ToString(s.SubnetId), cfg.VPC.ID)
		}
		byID[aws.ToString(s.SubnetId)] = Network{ID: aws.ToString(s.SubnetId), AZ: aws.ToString(s.AvailabilityZone), CIDR: aws.ToString(s.CidrBlock)}
	}
	rekey := func(set map[string]Network) (map[string]Network, error) {
		if len(set) == 0 {
			return set, nil
		}
		out := map[string]Network{}
		for _, n := range set {
			d, ok := byID[n.ID]
			if !ok {
				return nil, fmt.Errorf("subnet %q not found", n.ID)
			}
			key := d.AZ
			if _, dup := out[key]; dup {
				key = d.ID
			}
			out[key] = d
		}
		return out, nil
	}
	if cfg.VPC.Subnets.Public, err = rekey(cfg.VPC.Subnets.Public); err != nil {
		return err
	}
	if cfg.VPC.Subnets.Private, err = rekey(cfg.VPC.Subnets.Private); err != nil {
		return err
	}
	zones := map[string]bool{}
	for _, n := range byID {
		zones[n.AZ] = true
	}
	if len(zones) < MinRequiredZones {
		return fmt.Errorf("only %d zones found for the given subnets, %d are required", len(zones), MinRequiredZones)
	}
	cfg.AvailabilityZones = sortedKeys(zones)
	cfg.VPC.CIDR = ""
	m.Log.Info("using existing VPC (%s) and subnets (private:%s public:%s)", cfg.VPC.ID, describeSubnets(cfg.VPC.Subnets.Private), describeSubnets(cfg.VPC.Subnets.Public))
	return nil
}

func describeSubnets(set map[string]Network) string {
	var parts []string
	for _, k := range sortedKeys(set) {
		n := set[k]
		parts = append(parts, fmt.Sprintf("%s:{%s %s %s}", k, n.ID, n.AZ, n.CIDR))
	}
	return "map[" + strings.Join(parts, " ") + "]"
}

// sortedKeys are a map's keys in order, so templates and listings are stable.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// describeCluster is EKS's view of the cluster.
func (m *Manager) describeCluster(ctx context.Context, name string) (*ekstypes.Cluster, error) {
	out, err := m.Clients.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describing cluster %q: %w", name, err)
	}
	return out.Cluster, nil
}

// waitClusterActive waits for the control plane to be ACTIVE.
func (m *Manager) waitClusterActive(ctx context.Context, name string) (*ekstypes.Cluster, error) {
	var active *ekstypes.Cluster
	err := m.pollUntil(ctx, "the control plane to become ready", func(ctx context.Context) (bool, error) {
		cl, err := m.describeCluster(ctx, name)
		if err != nil {
			return false, err
		}
		switch cl.Status {
		case ekstypes.ClusterStatusActive:
			active = cl
			return true, nil
		case ekstypes.ClusterStatusFailed, ekstypes.ClusterStatusDeleting:
			return false, fmt.Errorf("cluster %q is %s", name, cl.Status)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return active, nil
}

// waitUpdate waits for an EKS update to finish.
func (m *Manager) waitUpdate(ctx context.Context, cluster, nodegroup, id, what string) error {
	return m.pollUntil(ctx, what, func(ctx context.Context) (bool, error) {
		in := &eks.DescribeUpdateInput{Name: aws.String(cluster), UpdateId: aws.String(id)}
		if nodegroup != "" {
			in.NodegroupName = aws.String(nodegroup)
		}
		out, err := m.Clients.EKS.DescribeUpdate(ctx, in)
		if err != nil {
			return false, fmt.Errorf("describing update %s: %w", id, err)
		}
		switch out.Update.Status {
		case ekstypes.UpdateStatusSuccessful:
			return true, nil
		case ekstypes.UpdateStatusFailed, ekstypes.UpdateStatusCancelled:
			var msgs []string
			for _, e := range out.Update.Errors {
				msgs = append(msgs, aws.ToString(e.ErrorMessage))
			}
			return false, fmt.Errorf("update %s %s: %s", id, out.Update.Status, strings.Join(msgs, "; "))
		}
		return false, nil
	})
}

// pollUntil calls check until it is done or fails, saying what it is
// waiting for before each pause.
func (m *Manager) pollUntil(ctx context.Context, waitingFor string, check func(context.Context) (done bool, err error)) error {
	for {
		done, err := check(ctx)
		if done || err != nil {
			return err
		}
		m.Log.Info("waiting for %s", waitingFor)
		if err := sleep(ctx, m.poll()); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
