package console

// The Compute tab of a cluster's page: its Kubernetes nodes, its managed
// node groups and its Fargate profiles, as the AWS console shows them, and
// the routes of the pages reached from it (nodegroups.go, fargate.go).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// Labels EKS puts on the nodes it makes and on the pods Fargate runs.
const (
	computeLabelNodegroup      = "eks.amazonaws.com/nodegroup"
	computeLabelComputeType    = "eks.amazonaws.com/compute-type"
	computeLabelFargateProfile = "eks.amazonaws.com/fargate-profile"
	computeLabelInstanceType   = "node.kubernetes.io/instance-type"
	computeLabelZone           = "topology.kubernetes.io/zone"
)

// computeKubeTimeout bounds a page's Kubernetes call: a cluster that does not
// answer shows its error in the table's place instead of holding the page.
const computeKubeTimeout = 10 * time.Second

func init() {
	registerTab(tab{Slug: "compute", Title: "Compute", Order: 20, Load: loadCompute})
}

func (c *Console) computeRoutes(mux *http.ServeMux) {
	c.page(mux, "GET /clusters/{name}/compute/nodes", c.nodesPart)
	c.page(mux, "GET /clusters/{name}/nodegroups", c.nodegroupRows)
	c.page(mux, "GET /clusters/{name}/nodegroups/create", c.nodegroupCreateForm)
	c.page(mux, "POST /clusters/{name}/nodegroups/create", c.nodegroupCreate)
	c.page(mux, "GET /clusters/{name}/nodegroups/{ng}", c.nodegroupPage)
	c.badgeRoute(mux, "/clusters/{name}/nodegroups/{ng}/status", c.nodegroupBadge)
	c.page(mux, "GET /clusters/{name}/nodegroups/{ng}/edit", c.nodegroupEditForm)
	c.page(mux, "POST /clusters/{name}/nodegroups/{ng}/edit", c.nodegroupEdit)
	c.page(mux, "POST /clusters/{name}/nodegroups/{ng}/update-version", c.nodegroupUpdateVersion)
	c.typedDeleteRoutes(mux, "/clusters/{name}/nodegroups/{ng}/delete", nodegroupDelete)
	c.page(mux, "GET /clusters/{name}/fargate/create", c.fargateCreateForm)
	c.page(mux, "POST /clusters/{name}/fargate/create", c.fargateCreate)
	c.page(mux, "GET /clusters/{name}/fargate/{profile}", c.fargatePage)
	c.badgeRoute(mux, "/clusters/{name}/fargate/{profile}/status", c.fargateBadge)
	c.typedDeleteRoutes(mux, "/clusters/{name}/fargate/{profile}/delete", fargateDelete)
}

// computeData is what the Compute tab shows. Each table carries its own
// error, so one the principal may not see leaves the others shown.
type computeData struct {
	Nodes *nodesCard

	Nodegroups      []*ekstypes.Nodegroup
	NodegroupsError *shownError
	// Changing: some node group is changing, so the table refreshes itself.
	Changing bool
	// ClusterVersion is the cluster's: a group behind it offers Update now.
	ClusterVersion string

	Profiles      []*ekstypes.FargateProfile
	ProfilesError *shownError
}

func loadCompute(ctx context.Context, c *Console, s *Session, cl *awsClients, cluster *ekstypes.Cluster, _ *http.Request) (any, error) {
	name := aws.ToString(cluster.Name)
	d := &computeData{ClusterVersion: aws.ToString(cluster.Version)}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		d.Nodes = c.nodesCard(ctx, s, cluster, "")
	}()
	go func() {
		defer wg.Done()
		var err error
		if d.Nodegroups, err = describeNodegroups(ctx, cl, name); err != nil {
			d.NodegroupsError, _ = explain(err)
		}
		for _, ng := range d.Nodegroups {
			d.Changing = d.Changing || isChanging(ng.Status)
		}
	}()
	go func() {
		defer wg.Done()
		var err error
		if d.Profiles, err = describeFargateProfiles(ctx, cl, name); err != nil {
			d.ProfilesError, _ = explain(err)
		}
	}()
	wg.Wait()
	d.Nodes.Poll = d.Changing
	return d, nil
}

// describeNodegroups lists and describes a cluster's node groups, several
// at a time. A group gone between the two calls is left out.
func describeNodegroups(ctx context.Context, cl *awsClients, cluster string) ([]*ekstypes.Nodegroup, error) {
	var names []string
	p := eks.NewListNodegroupsPaginator(cl.EKS, &eks.ListNodegroupsInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, out.Nodegroups...)
	}
	return describeEachName(ctx, names, func(ctx context.Context, name string) (*ekstypes.Nodegroup, error) {
		out, err := cl.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		return out.Nodegroup, nil
	})
}

// describeFargateProfiles lists and describes a cluster's Fargate profiles.
func describeFargateProfiles(ctx context.Context, cl *awsClients, cluster string) ([]*ekstypes.FargateProfile, error) {
	var names []string
	p := eks.NewListFargateProfilesPaginator(cl.EKS, &eks.ListFargateProfilesInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, out.FargateProfileNames...)
	}
	return describeEachName(ctx, names, func(ctx context.Context, name string) (*ekstypes.FargateProfile, error) {
		out, err := cl.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		return out.FargateProfile, nil
	})
}

// describeEachName describes names 8 at a time, in their order; one gone
// meanwhile is left out, any other error is the answer.
func describeEachName[T any](ctx context.Context, names []string, describe func(context.Context, string) (*T, error)) ([]*T, error) {
	got := make([]*T, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			got[i], errs[i] = describe(ctx, name)
		}()
	}
	wg.Wait()
	out := make([]*T, 0, len(names))
	for i := range names {
		var nf *ekstypes.ResourceNotFoundException
		switch {
		case errors.As(errs[i], &nf):
		case errs[i] != nil:
			return nil, errs[i]
		default:
			out = append(out, got[i])
		}
	}
	return out, nil
}

// nodegroupRows is the Node groups table's body, which refreshes itself
// while a group changes; without htmx, the Compute tab.
func (c *Console) nodegroupRows(w http.ResponseWriter, r *http.Request, s *Session) error {
	name := r.PathValue("name")
	if !isHTMX(r) {
		http.Redirect(w, r, Prefix+"/clusters/"+url.PathEscape(name)+"/compute", http.StatusSeeOther)
		return nil
	}
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	d := &computeData{ClusterVersion: aws.ToString(cluster.Version)}
	if d.Nodegroups, err = describeNodegroups(r.Context(), cl, name); err != nil {
		return err
	}
	for _, ng := range d.Nodegroups {
		d.Changing = d.Changing || isChanging(ng.Status)
	}
	c.renderFragment(w, r, "tab/compute", "nodegroupRows", &pageData{Session: s,
		Data: &clusterPage{Cluster: &ekstypes.Cluster{Name: aws.String(name)}, TabData: d}})
	return nil
}

// computeSubnet is one of the cluster's subnets offered in a form.
type computeSubnet struct {
	ID, Zone, CIDR string
	// Private is known only when the VPC's route tables could be read.
	Private, Known bool
	Checked        bool
}

// computeSubnets are the cluster's subnets with their zones and whether
// each is private (its route table has no route to an internet gateway).
// EC2 failing (no ec2:Describe* rights) leaves the bare IDs, private
// unknown (false).
func computeSubnets(ctx context.Context, cl *awsClients, cluster *ekstypes.Cluster) []computeSubnet {
	var ids []string
	if cluster.ResourcesVpcConfig != nil {
		ids = cluster.ResourcesVpcConfig.SubnetIds
	}
	choices := make([]computeSubnet, len(ids))
	for i, id := range ids {
		choices[i] = computeSubnet{ID: id}
	}
	if len(ids) == 0 {
		return choices
	}
	out, err := cl.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return choices
	}
	bySubnet := map[string]ec2types.Subnet{}
	vpc := ""
	for _, sn := range out.Subnets {
		bySubnet[aws.ToString(sn.SubnetId)] = sn
		vpc = aws.ToString(sn.VpcId)
	}
	public := map[string]bool{}
	mainPublic, known := false, false
	if vpc != "" {
		rt, err := cl.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
		if err == nil {
			known = true
			for _, t := range rt.RouteTables {
				toGateway := false
				for _, route := range t.Routes {
					if strings.HasPrefix(aws.ToString(route.GatewayId), "igw-") {
						toGateway = true
					}
				}
				for _, a := range t.Associations {
					if aws.ToBool(a.Main) {
						mainPublic = toGateway
					} else if a.SubnetId != nil {
						public[*a.SubnetId] = toGateway
					}
				}
			}
		}
	}
	for i := range choices {
		sn, ok := bySubnet[choices[i].ID]
		if ok {
			choices[i].Zone, choices[i].CIDR = aws.ToString(sn.AvailabilityZone), aws.ToString(sn.CidrBlock)
		}
		if known {
			pub, explicit := public[choices[i].ID]
			if !explicit {
				pub = mainPublic
			}
			choices[i].Private, choices[i].Known = !pub, true
		}
	}
	return choices
}

// checkComputeSubnets marks the chosen subnets.
func checkComputeSubnets(choices []computeSubnet, chosen []string) {
	for i := range choices {
		choices[i].Checked = false
		for _, id := range chosen {
			if choices[i].ID == id {
				choices[i].Checked = true
			}
		}
	}
}

// taintEffects are EKS's taint effects and the Kubernetes names a user
// may write instead.
var taintEffects = map[string]ekstypes.TaintEffect{
	"NO_SCHEDULE": ekstypes.TaintEffectNoSchedule, "NoSchedule": ekstypes.TaintEffectNoSchedule,
	"NO_EXECUTE": ekstypes.TaintEffectNoExecute, "NoExecute": ekstypes.TaintEffectNoExecute,
	"PREFER_NO_SCHEDULE": ekstypes.TaintEffectPreferNoSchedule, "PreferNoSchedule": ekstypes.TaintEffectPreferNoSchedule,
}

// parseTaints reads key=value:effect lines (value optional: key:effect).
func parseTaints(text string) ([]ekstypes.Taint, error) {
	var taints []ekstypes.Taint
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kv, effect := line, ""
		if at := strings.LastIndex(line, ":"); at >= 0 {
			kv, effect = line[:at], line[at+1:]
		}
		eff, known := taintEffects[strings.TrimSpace(effect)]
		if !known {
			return nil, badInput(fmt.Sprintf("Taints, line %d: %q is not key=value:effect with effect NoSchedule, NoExecute or PreferNoSchedule.", i+1, line))
		}
		k, v, _ := strings.Cut(kv, "=")
		t := ekstypes.Taint{Key: aws.String(strings.TrimSpace(k)), Effect: eff}
		if v = strings.TrimSpace(v); v != "" {
			t.Value = aws.String(v)
		}
		taints = append(taints, t)
	}
	return taints, nil
}

// formatTaints writes taints as key=value:effect lines.
func formatTaints(taints []ekstypes.Taint) string {
	var b strings.Builder
	for _, t := range taints {
		b.WriteString(aws.ToString(t.Key))
		if t.Value != nil {
			b.WriteString("=" + *t.Value)
		}
		b.WriteString(":" + string(t.Effect) + "\n")
	}
	return b.String()
}

// formInt32 reads an optional whole number of a form: nil when empty.
func formInt32(r *http.Request, field, what string) (*int32, error) {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return nil, badInput(fmt.Sprintf("%s must be a whole number, not %q.", what, v))
	}
	return aws.Int32(int32(n)), nil
}

// computeGone is whether err is EKS's ResourceNotFoundException.
func computeGone(err error) bool {
	var nf *ekstypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

// computeHref is the Compute tab of a cluster, with a flash message.
func computeHref(cluster, flash string) string {
	return withFlash(clusterHref(cluster, "compute"), flash)
}

// computeCrumbs lead to a page under a cluster's Compute tab.
func computeCrumbs(cluster string, more ...crumb) []crumb {
	base := Prefix + "/clusters/" + url.PathEscape(cluster)
	return append([]crumb{{"Clusters", Prefix + "/clusters"}, {cluster, base}, {"Compute", base + "/compute"}}, more...)
}
