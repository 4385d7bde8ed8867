package console

// A managed node group's page (details, its nodes, Edit, Update version,
// Delete with its typed name) and the Add node group form.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerPage("nodegroup", "nodegroup.html", "tabs/compute.html")
	registerPage("nodegroup-create", "nodegroup_create.html")
	registerPage("nodegroup-edit", "nodegroup_edit.html")
}

// Choices the Add node group form offers: the instance types keks runs,
// and the AMI types.
var (
	nodeInstanceTypes = []string{"t3.medium", "t3.small", "t3.large", "m5.large", "m5.xlarge", "c5.large"}
	nodeAMITypes      = []string{"AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2_x86_64", "BOTTLEROCKET_x86_64"}
)

// nodegroupView is a node group's page.
type nodegroupView struct {
	Cluster   *ekstypes.Cluster
	Nodegroup *ekstypes.Nodegroup
	Nodes     *nodesCard
}

func (c *Console) describeNodegroup(r *http.Request, cl *awsClients) (*ekstypes.Nodegroup, error) {
	out, err := cl.EKS.DescribeNodegroup(r.Context(), &eks.DescribeNodegroupInput{ClusterName: aws.String(r.PathValue("name")), NodegroupName: aws.String(r.PathValue("ng"))})
	if err != nil {
		return nil, err
	}
	return out.Nodegroup, nil
}

func (c *Console) describeComputeCluster(r *http.Request, cl *awsClients) (*ekstypes.Cluster, error) {
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(r.PathValue("name"))})
	if err != nil {
		return nil, err
	}
	return out.Cluster, nil
}

func nodegroupHref(cluster, ng, flash string) string {
	return withFlash(clusterHref(cluster, "nodegroups", url.PathEscape(ng)), flash)
}

// nodegroupPage shows a node group: its details and its nodes.
func (c *Console) nodegroupPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	return c.showNodegroup(w, r, s, nil)
}

// showNodegroup renders the node group's page, with actionErr (an action
// of the page that failed) at the top.
func (c *Console) showNodegroup(w http.ResponseWriter, r *http.Request, s *Session, actionErr error) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	ng, err := c.describeNodegroup(r, cl)
	if err != nil {
		return err
	}
	v := &nodegroupView{Cluster: cluster, Nodegroup: ng}
	v.Nodes = c.nodesCard(r.Context(), s, cluster, aws.ToString(ng.NodegroupName))
	v.Nodes.Poll = isChanging(ng.Status)
	name := r.PathValue("name")
	d := &pageData{Title: aws.ToString(ng.NodegroupName) + " · node group", Session: s, Data: v, Flash: r.URL.Query().Get("flash"),
		Crumbs: computeCrumbs(name, crumb{aws.ToString(ng.NodegroupName), nodegroupHref(name, aws.ToString(ng.NodegroupName), "")})}
	status := http.StatusOK
	if actionErr != nil {
		d.Error, status = explain(actionErr)
	}
	c.render(w, r, status, "nodegroup", d)
	return nil
}

// nodegroupForm is the Add node group form, with what the user entered.
type nodegroupForm struct {
	Cluster *ekstypes.Cluster
	// Roles trusting ec2.amazonaws.com; RolesError when they cannot be
	// listed, and the role is then typed.
	Roles      []computeRole
	RolesError *shownError
	Subnets    []computeSubnet

	// RoleARN, typed, stands for Role when given.
	RoleARN                                         string
	Name, Role, InstanceType, CapacityType, AMIType string
	DiskSize, Desired, Min, Max                     string
	Labels, Taints                                  string

	InstanceTypes, AMITypes []string
}

func (c *Console) newNodegroupForm(r *http.Request, cl *awsClients, cluster *ekstypes.Cluster) *nodegroupForm {
	f := &nodegroupForm{Cluster: cluster, InstanceType: "t3.medium", CapacityType: "ON_DEMAND", DiskSize: "20", Desired: "2", Min: "2", Max: "2",
		InstanceTypes: nodeInstanceTypes, AMITypes: nodeAMITypes}
	var err error
	if f.Roles, err = rolesTrustingService(r.Context(), cl, "ec2.amazonaws.com"); err != nil {
		f.RolesError, _ = explain(err)
	}
	f.Subnets = computeSubnets(r.Context(), cl, cluster)
	for i := range f.Subnets {
		f.Subnets[i].Checked = true
	}
	return f
}

func (c *Console) renderNodegroupForm(w http.ResponseWriter, r *http.Request, s *Session, f *nodegroupForm, err error) {
	name := aws.ToString(f.Cluster.Name)
	d := &pageData{Title: "Add node group · " + name, Session: s, Data: f,
		Crumbs: computeCrumbs(name, crumb{"Add node group", Prefix + "/clusters/" + url.PathEscape(name) + "/nodegroups/create"})}
	c.renderForm(w, r, "nodegroup-create", d, err)
}

func (c *Console) nodegroupCreateForm(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	c.renderNodegroupForm(w, r, s, c.newNodegroupForm(r, cl, cluster), nil)
	return nil
}

// nodegroupCreate calls CreateNodegroup with the form; its refusal is
// shown above the form as entered.
func (c *Console) nodegroupCreate(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	cluster, err := c.describeComputeCluster(r, cl)
	if err != nil {
		return err
	}
	f := c.newNodegroupForm(r, cl, cluster)
	f.Name, f.Role = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("role"))
	f.RoleARN = strings.TrimSpace(r.PostFormValue("rolearn"))
	f.InstanceType, f.CapacityType, f.AMIType = r.PostFormValue("instancetype"), r.PostFormValue("capacitytype"), r.PostFormValue("amitype")
	f.DiskSize, f.Desired, f.Min, f.Max = r.PostFormValue("disksize"), r.PostFormValue("desired"), r.PostFormValue("min"), r.PostFormValue("max")
	f.Labels, f.Taints = r.PostFormValue("labels"), r.PostFormValue("taints")
	checkComputeSubnets(f.Subnets, r.PostForm["subnet"])
	in, err := f.input(r)
	if err != nil {
		c.renderNodegroupForm(w, r, s, f, err)
		return nil
	}
	out, err := cl.EKS.CreateNodegroup(r.Context(), in)
	if err != nil {
		c.renderNodegroupForm(w, r, s, f, err)
		return nil
	}
	ng := aws.ToString(out.Nodegroup.NodegroupName)
	http.Redirect(w, r, nodegroupHref(aws.ToString(cluster.Name), ng, "Creating node group "+ng+"."), http.StatusSeeOther)
	return nil
}

// input is the CreateNodegroup request the form makes. Only what the form
// cannot say (a number that is not one, a line that is not key=value) is
// refused here; the rest is EKS's to judge.
func (f *nodegroupForm) input(r *http.Request) (*eks.CreateNodegroupInput, error) {
	role := f.Role
	if f.RoleARN != "" {
		role = f.RoleARN
	}
	in := &eks.CreateNodegroupInput{ClusterName: f.Cluster.Name, NodegroupName: aws.String(f.Name), NodeRole: aws.String(role),
		Subnets: r.PostForm["subnet"], CapacityType: ekstypes.CapacityTypes(f.CapacityType), AmiType: ekstypes.AMITypes(f.AMIType)}
	if in.Subnets == nil {
		in.Subnets = []string{}
	}
	if f.InstanceType != "" {
		in.InstanceTypes = []string{f.InstanceType}
	}
	var err error
	if in.DiskSize, err = formInt32(r, "disksize", "Disk size"); err != nil {
		return nil, err
	}
	sc := &ekstypes.NodegroupScalingConfig{}
	if sc.DesiredSize, err = formInt32(r, "desired", "Desired size"); err != nil {
		return nil, err
	}
	if sc.MinSize, err = formInt32(r, "min", "Minimum size"); err != nil {
		return nil, err
	}
	if sc.MaxSize, err = formInt32(r, "max", "Maximum size"); err != nil {
		return nil, err
	}
	if sc.DesiredSize != nil || sc.MinSize != nil || sc.MaxSize != nil {
		in.ScalingConfig = sc
	}
	if labels, err := parseKeyValueLines(f.Labels, "Labels"); err != nil {
		return nil, err
	} else if len(labels) > 0 {
		in.Labels = labels
	}
	if in.Taints, err = parseTaints(f.Taints); err != nil {
		return nil, err
	}
	return in, nil
}

// nodegroupEditForm is the Edit page: scaling, update configuration,
// labels and taints.
type nodegroupEditForm struct {
	Nodegroup                                     *ekstypes.Nodegroup
	Desired, Min, Max, MaxUnavailable, MaxUnavPct string
	Labels, Taints                                string
}

func editFormOf(ng *ekstypes.Nodegroup) *nodegroupEditForm {
	f := &nodegroupEditForm{Nodegroup: ng, Labels: keyValueLines(ng.Labels), Taints: formatTaints(ng.Taints)}
	if sc := ng.ScalingConfig; sc != nil {
		f.Desired, f.Min, f.Max = int32Text(sc.DesiredSize), int32Text(sc.MinSize), int32Text(sc.MaxSize)
	}
	if uc := ng.UpdateConfig; uc != nil {
		f.MaxUnavailable, f.MaxUnavPct = int32Text(uc.MaxUnavailable), int32Text(uc.MaxUnavailablePercentage)
	}
	return f
}

func int32Text(p *int32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

func (c *Console) renderEditForm(w http.ResponseWriter, r *http.Request, s *Session, f *nodegroupEditForm, err error) {
	name, ng := r.PathValue("name"), aws.ToString(f.Nodegroup.NodegroupName)
	d := &pageData{Title: "Edit " + ng, Session: s, Data: f,
		Crumbs: computeCrumbs(name, crumb{ng, nodegroupHref(name, ng, "")}, crumb{"Edit", nodegroupHref(name, ng, "") + "/edit"})}
	c.renderForm(w, r, "nodegroup-edit", d, err)
}

func (c *Console) nodegroupEditForm(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	ng, err := c.describeNodegroup(r, cl)
	if err != nil {
		return err
	}
	c.renderEditForm(w, r, s, editFormOf(ng), nil)
	return nil
}

// nodegroupEdit sends what changed to UpdateNodegroupConfig.
func (c *Console) nodegroupEdit(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	ng, err := c.describeNodegroup(r, cl)
	if err != nil {
		return err
	}
	was := editFormOf(ng)
	f := &nodegroupEditForm{Nodegroup: ng, Desired: r.PostFormValue("desired"), Min: r.PostFormValue("min"), Max: r.PostFormValue("max"),
		MaxUnavailable: r.PostFormValue("maxunavailable"), MaxUnavPct: r.PostFormValue("maxunavailablepct"),
		Labels: r.PostFormValue("labels"), Taints: r.PostFormValue("taints")}
	in, err := f.input(r, was)
	if err != nil {
		c.renderEditForm(w, r, s, f, err)
		return nil
	}
	out, err := cl.EKS.UpdateNodegroupConfig(r.Context(), in)
	if err != nil {
		c.renderEditForm(w, r, s, f, err)
		return nil
	}
	http.Redirect(w, r, nodegroupHref(r.PathValue("name"), r.PathValue("ng"), "Update "+aws.ToString(out.Update.Id)+" started."), http.StatusSeeOther)
	return nil
}

// input is the UpdateNodegroupConfig request: only what differs from was,
// so EKS says "No changes needed" when nothing does.
func (f *nodegroupEditForm) input(r *http.Request, was *nodegroupEditForm) (*eks.UpdateNodegroupConfigInput, error) {
	in := &eks.UpdateNodegroupConfigInput{ClusterName: aws.String(r.PathValue("name")), NodegroupName: aws.String(r.PathValue("ng"))}
	if strings.TrimSpace(f.Desired) != was.Desired || strings.TrimSpace(f.Min) != was.Min || strings.TrimSpace(f.Max) != was.Max {
		sc := &ekstypes.NodegroupScalingConfig{}
		var err error
		if sc.DesiredSize, err = formInt32(r, "desired", "Desired size"); err != nil {
			return nil, err
		}
		if sc.MinSize, err = formInt32(r, "min", "Minimum size"); err != nil {
			return nil, err
		}
		if sc.MaxSize, err = formInt32(r, "max", "Maximum size"); err != nil {
			return nil, err
		}
		in.ScalingConfig = sc
	}
	if strings.TrimSpace(f.MaxUnavailable) != was.MaxUnavailable || strings.TrimSpace(f.MaxUnavPct) != was.MaxUnavPct {
		uc := &ekstypes.NodegroupUpdateConfig{}
		var err error
		if uc.MaxUnavailable, err = formInt32(r, "maxunavailable", "Maximum unavailable"); err != nil {
			return nil, err
		}
		if uc.MaxUnavailablePercentage, err = formInt32(r, "maxunavailablepct", "Maximum unavailable percentage"); err != nil {
			return nil, err
		}
		if uc.MaxUnavailable != nil || uc.MaxUnavailablePercentage != nil {
			in.UpdateConfig = uc
		}
	}
	labels, err := parseKeyValueLines(f.Labels, "Labels")
	if err != nil {
		return nil, err
	}
	old := f.Nodegroup.Labels
	add := map[string]string{}
	var remove []string
	for k, v := range labels {
		if ov, ok := old[k]; !ok || ov != v {
			add[k] = v
		}
	}
	for _, k := range sortedKeys(old) {
		if _, ok := labels[k]; !ok {
			remove = append(remove, k)
		}
	}
	if len(add) > 0 || len(remove) > 0 {
		in.Labels = &ekstypes.UpdateLabelsPayload{RemoveLabels: remove}
		if len(add) > 0 {
			in.Labels.AddOrUpdateLabels = add
		}
	}
	taints, err := parseTaints(f.Taints)
	if err != nil {
		return nil, err
	}
	same := func(a, b ekstypes.Taint) bool {
		return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.Value) == aws.ToString(b.Value) && a.Effect == b.Effect
	}
	var addT, removeT []ekstypes.Taint
	for _, t := range taints {
		found := false
		for _, o := range f.Nodegroup.Taints {
			found = found || same(t, o)
		}
		if !found {
			addT = append(addT, t)
		}
	}
	for _, o := range f.Nodegroup.Taints {
		kept := false
		for _, t := range taints {
			kept = kept || (aws.ToString(t.Key) == aws.ToString(o.Key) && t.Effect == o.Effect)
		}
		if !kept {
			removeT = append(removeT, o)
		}
	}
	if len(addT) > 0 || len(removeT) > 0 {
		in.Taints = &ekstypes.UpdateTaintsPayload{AddOrUpdateTaints: addT, RemoveTaints: removeT}
	}
	return in, nil
}

// nodegroupUpdateVersion updates the group to the cluster's version and
// its latest release (UpdateNodegroupVersion with neither given).
func (c *Console) nodegroupUpdateVersion(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	in := &eks.UpdateNodegroupVersionInput{ClusterName: aws.String(r.PathValue("name")), NodegroupName: aws.String(r.PathValue("ng")),
		Force: r.PostFormValue("force") == "on"}
	out, err := cl.EKS.UpdateNodegroupVersion(r.Context(), in)
	if err != nil {
		return c.showNodegroup(w, r, s, err)
	}
	http.Redirect(w, r, nodegroupHref(r.PathValue("name"), r.PathValue("ng"), "Version update "+aws.ToString(out.Update.Id)+" started."), http.StatusSeeOther)
	return nil
}

// nodegroupBadge is the node group's status badge.
func (c *Console) nodegroupBadge(r *http.Request) statusBadge {
	name, ng := r.PathValue("name"), r.PathValue("ng")
	return statusBadge{Page: nodegroupHref(name, ng, ""), Gone: computeHref(name, "Node group "+ng+" deleted."),
		Template: "nodegroup", Fragment: "nodegroupStatus",
		View: func(cl *awsClients) (any, error) {
			g, err := c.describeNodegroup(r, cl)
			return &nodegroupView{Nodegroup: g}, err
		}}
}

// nodegroupDelete is a node group's typed-name delete.
func nodegroupDelete(r *http.Request) typedDelete {
	name, ng := r.PathValue("name"), r.PathValue("ng")
	href := nodegroupHref(name, ng, "")
	return typedDelete{Kind: "node group", Name: ng, Page: href, Crumbs: computeCrumbs(name, crumb{ng, href}),
		Done: nodegroupHref(name, ng, "Deleting node group "+ng+"."),
		Note: "Its nodes are drained and terminated.",
		Exists: func(ctx context.Context, cl *awsClients) error {
			_, err := cl.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(name), NodegroupName: aws.String(ng)})
			return err
		},
		Delete: func(ctx context.Context, cl *awsClients, _ bool) error {
			_, err := cl.EKS.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String(name), NodegroupName: aws.String(ng)})
			return err
		}}
}
