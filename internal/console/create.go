package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerPage("cluster-create", "create.html")
}

// configRoutes are the pages that create and configure clusters: the
// create form, the cluster's actions (upgrade, delete) and the forms of
// the Networking, Add-ons, Access, Observability, Update history and Tags
// tabs. /clusters/create shadows a cluster named "create" (EKS allows the
// name): its tabs are still reached at /clusters/create/overview and so on.
func (c *Console) configRoutes(mux *http.ServeMux) {
	c.page(mux, "GET /clusters/create", c.createClusterPage)
	c.page(mux, "POST /clusters/create", c.createCluster)
	c.page(mux, "GET /clusters/{name}/upgrade", c.upgradePage)
	c.page(mux, "POST /clusters/{name}/upgrade", c.upgradeCluster)
	c.typedDeleteRoutes(mux, "/clusters/{name}/delete", clusterDelete)
	c.page(mux, "GET /clusters/{name}/updates/{id}", c.updatePage)
	c.page(mux, "GET /clusters/{name}/networking/endpoint", c.endpointPage)
	c.page(mux, "POST /clusters/{name}/networking/endpoint", c.updateEndpoint)
	c.page(mux, "GET /clusters/{name}/addons/add", c.addAddonPage)
	c.page(mux, "POST /clusters/{name}/addons/add", c.addAddon)
	c.page(mux, "GET /clusters/{name}/addons/{addon}", c.addonPage)
	c.page(mux, "POST /clusters/{name}/addons/{addon}", c.updateAddon)
	c.typedDeleteRoutes(mux, "/clusters/{name}/addons/{addon}/delete", addonDelete)
	c.page(mux, "GET /clusters/{name}/observability/logging", c.loggingPage)
	c.page(mux, "POST /clusters/{name}/observability/logging", c.updateLogging)
	c.page(mux, "GET /clusters/{name}/observability/logs/{type}", c.logEventsPage)
	c.page(mux, "GET /clusters/{name}/access/mode", c.accessModePage)
	c.page(mux, "POST /clusters/{name}/access/mode", c.updateAccessMode)
	c.page(mux, "GET /clusters/{name}/access/entries/create", c.createEntryPage)
	c.page(mux, "POST /clusters/{name}/access/entries/create", c.createEntry)
	c.page(mux, "GET /clusters/{name}/access/entry", c.entryPage)
	c.page(mux, "POST /clusters/{name}/access/entry/associate", c.associatePolicy)
	c.page(mux, "POST /clusters/{name}/access/entry/disassociate", c.disassociatePolicy)
	c.page(mux, "POST /clusters/{name}/access/entry/delete", c.deleteEntry)
	c.page(mux, "GET /clusters/{name}/tags/manage", c.tagsPage)
	c.page(mux, "POST /clusters/{name}/tags/manage", c.updateTags)
}

// seeOther ends a successful action: to path, with a message.
func seeOther(w http.ResponseWriter, r *http.Request, path, flash string) {
	http.Redirect(w, r, withFlash(path, flash), http.StatusSeeOther)
}

// withFlash is path with a message for the page it leads to.
func withFlash(path, flash string) string {
	if flash == "" {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "flash=" + url.QueryEscape(flash)
}

// clusterHref is a cluster's page (or one of its tabs or pages).
func clusterHref(name string, rest ...string) string {
	p := Prefix + "/clusters/" + url.PathEscape(name)
	for _, s := range rest {
		p += "/" + s
	}
	return p
}

// clusterCrumbs lead to a page of a cluster.
func clusterCrumbs(name string, more ...crumb) []crumb {
	return append([]crumb{{"Clusters", Prefix + "/clusters"}, {name, clusterHref(name)}}, more...)
}

// lines splits a textarea into its non-empty trimmed lines (or
// comma-separated items).
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// logTypeNames are EKS's control-plane log types, in the console's order.
var logTypeNames = []struct{ Type, Title, Stream string }{
	{"api", "API server", "kube-apiserver-"},
	{"audit", "Audit", "kube-apiserver-audit-"},
	{"authenticator", "Authenticator", "authenticator-"},
	{"controllerManager", "Controller manager", "kube-controller-manager-"},
	{"scheduler", "Scheduler", "kube-scheduler-"},
}

// createForm is the Create cluster form, as filled in.
type createForm struct {
	Name, Version, Role, VPC, Endpoint, AuthMode, Tier, KMSKey, Tags string
	Subnets, SecurityGroups, Logging                                 map[string]bool
	SubnetText, SGText                                               string
}

// createData is the form with its choices.
type createData struct {
	Form     createForm
	Versions []string
	Default  string
	Roles    []computeRole // roles EKS may assume; none: a text field
	VPCs     []vpcChoice
	Zones    []zoneSubnets // the chosen VPC's subnets by zone
	Groups   []ec2types.SecurityGroup
	// NetErr is why the VPC's subnets could not be listed: then they are
	// typed in.
	NetErr   string
	LogTypes any
	Tiers    []tierChoice
}

type tierChoice struct{ Name, Label string }

// tierChoices are the API's tiers, as the SDK knows them, named as the AWS
// console names them.
func tierChoices() []tierChoice {
	var out []tierChoice
	for _, t := range ekstypes.ProvisionedControlPlaneTier("").Values() {
		label := strings.ToUpper(strings.TrimPrefix(string(t), "tier-"))
		if t == ekstypes.ProvisionedControlPlaneTierStandard {
			label = "Standard"
		}
		out = append(out, tierChoice{Name: string(t), Label: label})
	}
	return out
}

type vpcChoice struct {
	ID, Label string
	Default   bool
}

type zoneSubnets struct {
	Zone    string
	Subnets []subnetChoice
}

type subnetChoice struct {
	ID, CIDR, Name string
	Public         bool
}

func (c *Console) createClusterPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	f := createForm{Endpoint: "public", AuthMode: "API_AND_CONFIG_MAP", VPC: r.URL.Query().Get("vpc"),
		Subnets: map[string]bool{}, SecurityGroups: map[string]bool{}, Logging: map[string]bool{}}
	d := c.createChoices(r.Context(), cl, &f, true)
	pd := &pageData{Title: "Create cluster", Session: s, Data: d, Crumbs: []crumb{{"Clusters", Prefix + "/clusters"}, {"Create cluster", Prefix + "/clusters/create"}}}
	if isHTMX(r) && r.URL.Query().Has("network") {
		c.renderFragment(w, r, "cluster-create", "network", pd)
		return nil
	}
	c.render(w, r, http.StatusOK, "cluster-create", pd)
	return nil
}

// createChoices reads what the form offers; a list that cannot be read
// becomes a text field. fresh: preselect the defaults (version, the VPC's
// subnets).
func (c *Console) createChoices(ctx context.Context, cl *awsClients, f *createForm, fresh bool) *createData {
	d := &createData{LogTypes: logTypeNames, Tiers: tierChoices()}
	if out, err := cl.EKS.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{}); err == nil {
		for _, v := range out.ClusterVersions {
			d.Versions = append(d.Versions, aws.ToString(v.ClusterVersion))
			if v.DefaultVersion {
				d.Default = aws.ToString(v.ClusterVersion)
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(d.Versions)))
	}
	if fresh && f.Version == "" {
		f.Version = d.Default
	}
	d.Roles, _ = rolesTrustingService(ctx, cl, "eks.amazonaws.com")
	vpcs, err := cl.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		se, _ := explain(err)
		d.NetErr = se.Code + ": " + se.Message
		d.Form = *f
		return d
	}
	for _, v := range vpcs.Vpcs {
		ch := vpcChoice{ID: aws.ToString(v.VpcId), Default: aws.ToBool(v.IsDefault)}
		ch.Label = ch.ID + " (" + aws.ToString(v.CidrBlock) + ")"
		if n := nameTag(v.Tags); n != "" {
			ch.Label = n + " · " + ch.Label
		}
		if ch.Default {
			ch.Label += " default"
		}
		d.VPCs = append(d.VPCs, ch)
		if f.VPC == "" && ch.Default {
			f.VPC = ch.ID
		}
	}
	if f.VPC == "" && len(d.VPCs) > 0 {
		f.VPC = d.VPCs[0].ID
	}
	if f.VPC != "" {
		filter := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{f.VPC}}}
		sn, err := cl.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: filter})
		if err != nil {
			se, _ := explain(err)
			d.NetErr = se.Code + ": " + se.Message
		} else {
			byZone := map[string][]subnetChoice{}
			for _, s := range sn.Subnets {
				ch := subnetChoice{ID: aws.ToString(s.SubnetId), CIDR: aws.ToString(s.CidrBlock), Name: nameTag(s.Tags), Public: aws.ToBool(s.MapPublicIpOnLaunch)}
				byZone[aws.ToString(s.AvailabilityZone)] = append(byZone[aws.ToString(s.AvailabilityZone)], ch)
				if fresh {
					f.Subnets[ch.ID] = true
				}
			}
			for _, z := range sortedKeysOf(byZone) {
				subs := byZone[z]
				sort.Slice(subs, func(i, j int) bool { return subs[i].CIDR < subs[j].CIDR })
				d.Zones = append(d.Zones, zoneSubnets{Zone: z, Subnets: subs})
			}
		}
		if sg, err := cl.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: filter}); err == nil {
			d.Groups = sg.SecurityGroups
		}
	}
	d.Form = *f
	return d
}

func sortedKeysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nameTag(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

func (c *Console) createCluster(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return badInput("The form could not be read: " + err.Error())
	}
	f := createForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Version: r.PostForm.Get("version"), Role: strings.TrimSpace(r.PostForm.Get("role")),
		VPC: r.PostForm.Get("vpc"), Endpoint: r.PostForm.Get("endpoint"), AuthMode: r.PostForm.Get("authmode"), Tier: r.PostForm.Get("tier"),
		KMSKey: strings.TrimSpace(r.PostForm.Get("kmskey")), Tags: r.PostForm.Get("tags"),
		SubnetText: r.PostForm.Get("subnettext"), SGText: r.PostForm.Get("sgtext"),
		Subnets: map[string]bool{}, SecurityGroups: map[string]bool{}, Logging: map[string]bool{}}
	for _, id := range r.PostForm["subnets"] {
		f.Subnets[id] = true
	}
	for _, id := range r.PostForm["securitygroups"] {
		f.SecurityGroups[id] = true
	}
	for _, t := range r.PostForm["logging"] {
		f.Logging[t] = true
	}
	err = c.callCreateCluster(r.Context(), cl, &f)
	if err == nil {
		seeOther(w, r, clusterHref(f.Name), "Cluster "+f.Name+" is being created.")
		return nil
	}
	d := c.createChoices(r.Context(), cl, &f, false)
	pd := &pageData{Title: "Create cluster", Session: s, Data: d, Crumbs: []crumb{{"Clusters", Prefix + "/clusters"}, {"Create cluster", Prefix + "/clusters/create"}}}
	c.render(w, r, formError(pd, err), "cluster-create", pd)
	return nil
}

func (c *Console) callCreateCluster(ctx context.Context, cl *awsClients, f *createForm) error {
	tags, err := parseKeyValueLines(f.Tags, "Tags")
	if err != nil {
		return err
	}
	subnets := append(sortedKeysOf(f.Subnets), lines(f.SubnetText)...)
	groups := append(sortedKeysOf(f.SecurityGroups), lines(f.SGText)...)
	in := &eks.CreateClusterInput{Name: aws.String(f.Name), RoleArn: aws.String(f.Role),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: subnets, SecurityGroupIds: groups}}
	if f.Version != "" {
		in.Version = aws.String(f.Version)
	}
	switch f.Endpoint {
	case "public", "":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(true), aws.Bool(false)
	case "both":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(true), aws.Bool(true)
	case "private":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(false), aws.Bool(true)
	default:
		return badInput("Endpoint access is public, public and private, or private.")
	}
	if f.AuthMode != "" {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(f.AuthMode)}
	}
	if f.Tier != "" {
		in.ControlPlaneScalingConfig = &ekstypes.ControlPlaneScalingConfig{Tier: ekstypes.ProvisionedControlPlaneTier(f.Tier)}
	}
	var types []ekstypes.LogType
	for _, t := range logTypeNames {
		if f.Logging[t.Type] {
			types = append(types, ekstypes.LogType(t.Type))
		}
	}
	if len(types) > 0 {
		in.Logging = &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: types, Enabled: aws.Bool(true)}}}
	}
	if f.KMSKey != "" {
		in.EncryptionConfig = []ekstypes.EncryptionConfig{{Provider: &ekstypes.Provider{KeyArn: aws.String(f.KMSKey)}, Resources: []string{"secrets"}}}
	}
	if len(tags) > 0 {
		in.Tags = tags
	}
	_, err = cl.EKS.CreateCluster(ctx, in)
	return err
}
