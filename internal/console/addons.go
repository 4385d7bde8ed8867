package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "addons", Title: "Add-ons", Order: 40, Load: loadAddons})
	registerPage("addon-add", "addon-add.html")
	registerPage("addon", "addon.html")
}

// addonRow is an installed add-on, or why it could not be described.
type addonRow struct {
	Name  string
	Addon *ekstypes.Addon
	Error string
}

type addonsData struct {
	Cluster  string
	Rows     []addonRow
	Changing bool
}

func loadAddons(ctx context.Context, _ *Console, _ *Session, cl *awsClients, k *ekstypes.Cluster, _ *http.Request) (any, error) {
	name := aws.ToString(k.Name)
	names, err := installedAddons(ctx, cl, name)
	if err != nil {
		return nil, err
	}
	d := &addonsData{Cluster: name, Rows: make([]addonRow, len(names))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, a := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			row := addonRow{Name: a}
			out, err := cl.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(name), AddonName: aws.String(a)})
			if err != nil {
				se, _ := explain(err)
				row.Error = se.Code + ": " + se.Message
			} else {
				row.Addon = out.Addon
			}
			d.Rows[i] = row
		}()
	}
	wg.Wait()
	for _, row := range d.Rows {
		if row.Addon != nil {
			d.Changing = d.Changing || isChanging(row.Addon.Status)
		}
	}
	return d, nil
}

func installedAddons(ctx context.Context, cl *awsClients, cluster string) ([]string, error) {
	var names []string
	p := eks.NewListAddonsPaginator(cl.EKS, &eks.ListAddonsInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, out.Addons...)
	}
	sort.Strings(names)
	return names, nil
}

// addonChoice is an add-on the cluster can install, with its versions
// (the default first).
type addonChoice struct {
	Name, Type, Publisher string
	Versions              []string
	Default               string
}

// addonVersions are the add-ons (or one) offered for a Kubernetes version.
func addonVersions(ctx context.Context, cl *awsClients, k8sVersion, only string) ([]addonChoice, error) {
	in := &eks.DescribeAddonVersionsInput{KubernetesVersion: aws.String(k8sVersion)}
	if only != "" {
		in.AddonName = aws.String(only)
	}
	var out []addonChoice
	p := eks.NewDescribeAddonVersionsPaginator(cl.EKS, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Addons {
			ch := addonChoice{Name: aws.ToString(a.AddonName), Type: aws.ToString(a.Type), Publisher: aws.ToString(a.Publisher)}
			for _, v := range a.AddonVersions {
				ch.Versions = append(ch.Versions, aws.ToString(v.AddonVersion))
				for _, c := range v.Compatibilities {
					if c.DefaultVersion && ch.Default == "" {
						ch.Default = aws.ToString(v.AddonVersion)
					}
				}
			}
			if ch.Default == "" && len(ch.Versions) > 0 {
				ch.Default = ch.Versions[0]
			}
			out = append(out, ch)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// addAddonData is Get more add-ons: what is not installed yet, and the
// form as last sent.
type addAddonData struct {
	Cluster                      string
	Choices                      []addonChoice
	Addon, Version, Role, Config string
}

func (c *Console) addAddonData(ctx context.Context, cl *awsClients, name string) (*addAddonData, error) {
	out, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, err
	}
	all, err := addonVersions(ctx, cl, aws.ToString(out.Cluster.Version), "")
	if err != nil {
		return nil, err
	}
	have, err := installedAddons(ctx, cl, name)
	if err != nil {
		return nil, err
	}
	d := &addAddonData{Cluster: name}
	for _, a := range all {
		if !containsString(have, a.Name) {
			d.Choices = append(d.Choices, a)
		}
	}
	return d, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Console) addAddonPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d, err := c.addAddonData(r.Context(), cl, name)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "addon-add", &pageData{Title: "Get more add-ons", Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Add-ons", clusterHref(name, "addons")}, crumb{"Get more add-ons", clusterHref(name, "addons", "add")})})
	return nil
}

func (c *Console) addAddon(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	addon := r.PostFormValue("addon")
	version := r.PostFormValue("version-" + addon)
	role := strings.TrimSpace(r.PostFormValue("role"))
	config := strings.TrimSpace(r.PostFormValue("config"))
	in := &eks.CreateAddonInput{ClusterName: aws.String(name), AddonName: aws.String(addon)}
	if version != "" {
		in.AddonVersion = aws.String(version)
	}
	if role != "" {
		in.ServiceAccountRoleArn = aws.String(role)
	}
	if config != "" {
		in.ConfigurationValues = aws.String(config)
	}
	if addon == "" {
		err = badInput("Choose an add-on.")
	} else {
		_, err = cl.EKS.CreateAddon(r.Context(), in)
	}
	if err == nil {
		seeOther(w, r, clusterHref(name, "addons"), "Add-on "+addon+" is being created.")
		return nil
	}
	d, derr := c.addAddonData(r.Context(), cl, name)
	if derr != nil {
		return err
	}
	d.Addon, d.Version, d.Role, d.Config = addon, version, role, config
	pd := &pageData{Title: "Get more add-ons", Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Add-ons", clusterHref(name, "addons")}, crumb{"Get more add-ons", clusterHref(name, "addons", "add")})}
	c.render(w, r, formError(pd, err), "addon-add", pd)
	return nil
}

// addonData is an add-on's page: the add-on and its Edit form.
type addonData struct {
	Cluster  string
	Addon    *ekstypes.Addon
	Versions []string
	// the Edit form as shown or last sent
	Version, Config, Role, Resolve string
}

func (c *Console) addonData(ctx context.Context, cl *awsClients, cluster, addon string) (*addonData, error) {
	out, err := cl.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(addon)})
	if err != nil {
		return nil, err
	}
	a := out.Addon
	d := &addonData{Cluster: cluster, Addon: a, Version: aws.ToString(a.AddonVersion), Config: aws.ToString(a.ConfigurationValues),
		Role: aws.ToString(a.ServiceAccountRoleArn), Resolve: "NONE"}
	if k, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)}); err == nil {
		if vs, err := addonVersions(ctx, cl, aws.ToString(k.Cluster.Version), addon); err == nil && len(vs) > 0 {
			d.Versions = vs[0].Versions
		}
	}
	if !containsString(d.Versions, d.Version) {
		d.Versions = append([]string{d.Version}, d.Versions...)
	}
	return d, nil
}

func (c *Console) addonPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, addon := r.PathValue("name"), r.PathValue("addon")
	d, err := c.addonData(r.Context(), cl, name, addon)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "addon", &pageData{Title: addon + " · " + name, Session: s, Data: d, Flash: r.URL.Query().Get("flash"),
		Crumbs: clusterCrumbs(name, crumb{"Add-ons", clusterHref(name, "addons")}, crumb{addon, clusterHref(name, "addons", addon)})})
	return nil
}

// updateAddon is the add-on's Edit form: version, configuration values,
// service account role and how conflicts are resolved.
func (c *Console) updateAddon(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, addon := r.PathValue("name"), r.PathValue("addon")
	version, config := r.PostFormValue("version"), strings.TrimSpace(r.PostFormValue("config"))
	role, resolve := strings.TrimSpace(r.PostFormValue("role")), r.PostFormValue("resolve")
	in := &eks.UpdateAddonInput{ClusterName: aws.String(name), AddonName: aws.String(addon)}
	if config != "" || r.PostFormValue("hadconfig") == "true" {
		// Sent when there are values, or to clear those the add-on had.
		in.ConfigurationValues = aws.String(config)
	}
	if version != "" {
		in.AddonVersion = aws.String(version)
	}
	if role != "" {
		in.ServiceAccountRoleArn = aws.String(role)
	}
	if resolve != "" {
		in.ResolveConflicts = ekstypes.ResolveConflicts(resolve)
	}
	out, err := cl.EKS.UpdateAddon(r.Context(), in)
	if err == nil {
		seeOther(w, r, updateHref(name, out.Update, "addon="+url.QueryEscape(addon)), "Add-on "+addon+" is being updated.")
		return nil
	}
	d, derr := c.addonData(r.Context(), cl, name, addon)
	if derr != nil {
		return err
	}
	d.Version, d.Config, d.Role, d.Resolve = version, config, role, resolve
	pd := &pageData{Title: addon + " · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Add-ons", clusterHref(name, "addons")}, crumb{addon, clusterHref(name, "addons", addon)})}
	c.render(w, r, formError(pd, err), "addon", pd)
	return nil
}

// addonDelete is an add-on's typed-name removal, which may keep its
// software on the cluster (preserve).
func addonDelete(r *http.Request) typedDelete {
	name, addon := r.PathValue("name"), r.PathValue("addon")
	return typedDelete{Kind: "add-on", Name: addon, Page: clusterHref(name, "addons", addon), Preserve: true,
		Crumbs: clusterCrumbs(name, crumb{"Add-ons", clusterHref(name, "addons")}, crumb{addon, clusterHref(name, "addons", addon)}),
		Done:   withFlash(clusterHref(name, "addons"), "Add-on "+addon+" is being removed."),
		Note:   "Removing the add-on deletes its Kubernetes objects from the cluster unless you keep them.",
		Exists: func(ctx context.Context, cl *awsClients) error {
			_, err := cl.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(name), AddonName: aws.String(addon)})
			return err
		},
		Delete: func(ctx context.Context, cl *awsClients, preserve bool) error {
			_, err := cl.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(name), AddonName: aws.String(addon), Preserve: preserve})
			return err
		}}
}
