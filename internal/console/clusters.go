package console

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerPage("clusters", "clusters.html")
	registerTab(tab{Slug: "overview", Title: "Overview", Order: 0, Load: loadOverview})
}

// tab is one tab of a cluster's page: /console/clusters/{name}/{slug},
// the template tabs/{slug}.html, and what it loads beside the cluster.
type tab struct {
	Slug, Title string
	Order       int
	Load        func(ctx context.Context, c *Console, s *Session, aws *awsClients, cluster *ekstypes.Cluster, r *http.Request) (any, error)
}

var tabs []tab

func registerTab(t tab) {
	tabs = append(tabs, t)
	sort.SliceStable(tabs, func(i, j int) bool { return tabs[i].Order < tabs[j].Order })
	registerPage("tab/"+t.Slug, "cluster.html", "tabs/"+t.Slug+".html")
}

func (c *Console) clusterRoutes(mux *http.ServeMux) {
	c.page(mux, "GET /clusters", c.clusterList)
	c.page(mux, "GET /clusters/{name}", c.clusterTab)
	c.page(mux, "GET /clusters/{name}/status", c.clusterStatus)
	c.page(mux, "GET /clusters/{name}/{tab}", c.clusterTab)
}

// clusterRow is a line of the cluster list.
type clusterRow struct {
	Name, Status, Version, Support string
	Created                        *time.Time
	Error                          string
}

// clusterListData is the cluster list; while a cluster is changing
// the list refreshes itself.
type clusterListData struct {
	Rows     []clusterRow
	Changing bool
}

// clusterList serves the Clusters page: every cluster with its status,
// version and support period, as the AWS console lists them.
func (c *Console) clusterList(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	rows, err := listClusters(r.Context(), cl)
	if err != nil {
		return err
	}
	list := clusterListData{Rows: rows}
	for _, row := range rows {
		list.Changing = list.Changing || isChanging(row.Status)
	}
	d := &pageData{Title: "Clusters", Session: s, Data: list, Flash: r.URL.Query().Get("flash")}
	if isHTMX(r) && r.URL.Query().Has("rows") {
		c.renderFragment(w, r, "clusters", "rows", d)
		return nil
	}
	c.render(w, r, http.StatusOK, "clusters", d)
	return nil
}

// listClusters lists and describes every cluster, several at a time: a
// page of 50 clusters is 50 DescribeCluster calls.
func listClusters(ctx context.Context, cl *awsClients) ([]clusterRow, error) {
	var names []string
	p := eks.NewListClustersPaginator(cl.EKS, &eks.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, out.Clusters...)
	}
	support := supportDates(ctx, cl)
	rows := make([]clusterRow, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			row := clusterRow{Name: name}
			out, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
			if err != nil {
				se, _ := explain(err)
				row.Error = se.Code + ": " + se.Message
			} else {
				k := out.Cluster
				row.Status, row.Version, row.Created = string(k.Status), aws.ToString(k.Version), k.CreatedAt
				row.Support = supportPeriod(k, support)
			}
			rows[i] = row
		}()
	}
	wg.Wait()
	return rows, nil
}

// versionSupport is a version's end of standard and extended support.
type versionSupport struct{ Standard, Extended *time.Time }

// supportDates reads each version's support dates once per page.
func supportDates(ctx context.Context, cl *awsClients) map[string]versionSupport {
	out, err := cl.EKS.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{})
	dates := map[string]versionSupport{}
	if err != nil {
		return dates
	}
	for _, v := range out.ClusterVersions {
		dates[aws.ToString(v.ClusterVersion)] = versionSupport{Standard: v.EndOfStandardSupportDate, Extended: v.EndOfExtendedSupportDate}
	}
	return dates
}

// supportPeriod says as the console does which support a cluster's
// version is in and until when.
func supportPeriod(k *ekstypes.Cluster, dates map[string]versionSupport) string {
	d, ok := dates[aws.ToString(k.Version)]
	if !ok || d.Standard == nil {
		return "-"
	}
	now := time.Now()
	if now.Before(*d.Standard) {
		return "Standard support until " + d.Standard.UTC().Format("January 2, 2006")
	}
	if d.Extended != nil && now.Before(*d.Extended) && (k.UpgradePolicy == nil || k.UpgradePolicy.SupportType != ekstypes.SupportTypeStandard) {
		return "Extended support until " + d.Extended.UTC().Format("January 2, 2006")
	}
	return "Support ended"
}

// clusterPage is what every tab of a cluster's page shows: the cluster,
// the tabs, and the tab's own data.
type clusterPage struct {
	Cluster *ekstypes.Cluster
	Tabs    []tab
	Tab     string
	Support string
	// TabData is what the tab loaded beside the cluster.
	TabData any
}

func (c *Console) clusterTab(w http.ResponseWriter, r *http.Request, s *Session) error {
	return c.renderClusterTab(w, r, s, r.PathValue("tab"))
}

// findTab is the tab of slug, or nil.
func findTab(slug string) *tab {
	for i := range tabs {
		if tabs[i].Slug == slug {
			return &tabs[i]
		}
	}
	return nil
}

// renderClusterTab renders a cluster's page with one of its tabs.
func (c *Console) renderClusterTab(w http.ResponseWriter, r *http.Request, s *Session, slug string) error {
	if slug == "" {
		slug = "overview"
	}
	t := findTab(slug)
	if t == nil {
		return errNotFound
	}
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	p := &clusterPage{Cluster: out.Cluster, Tabs: tabs, Tab: slug, Support: supportPeriod(out.Cluster, supportDates(r.Context(), cl))}
	d := &pageData{Title: name + " · " + t.Title, Session: s, Data: p, Flash: r.URL.Query().Get("flash"),
		Crumbs: []crumb{{"Clusters", Prefix + "/clusters"}, {name, Prefix + "/clusters/" + name}}}
	if p.TabData, err = t.Load(r.Context(), c, s, cl, out.Cluster, r); err != nil {
		// The tab's own failure (say, AccessDenied on its data) is shown
		// in the tab; the cluster's header still renders.
		d.Error, _ = explain(err)
	}
	c.render(w, r, http.StatusOK, "tab/"+slug, d)
	return nil
}

// clusterStatus is the status badge, which refreshes itself while the
// cluster is changing.
func (c *Console) clusterStatus(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(r.PathValue("name"))})
	if err != nil {
		var nf *ekstypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			// Deleted while watched: back to the list.
			w.Header().Set("HX-Redirect", Prefix+"/clusters?flash=Cluster+"+r.PathValue("name")+"+deleted")
			return nil
		}
		return err
	}
	// Once the status is another than the page shows, the whole page is
	// out of date (an endpoint appears, actions open up): htmx swaps in
	// the page's main part, rendered afresh, without reloading the page.
	tab := r.URL.Query().Get("tab")
	if findTab(tab) == nil {
		tab = "overview"
	}
	if was := r.URL.Query().Get("was"); was != "" && was != string(out.Cluster.Status) {
		w.Header().Set("HX-Retarget", "main")
		w.Header().Set("HX-Reselect", "main")
		w.Header().Set("HX-Reswap", "outerHTML")
		return c.renderClusterTab(w, r, s, tab)
	}
	c.renderFragment(w, r, "tab/overview", "clusterStatus", &pageData{Session: s, Data: &clusterPage{Cluster: out.Cluster, Tab: tab}})
	return nil
}

// overview is the Overview tab: the cluster's details are in its record.
func loadOverview(context.Context, *Console, *Session, *awsClients, *ekstypes.Cluster, *http.Request) (any, error) {
	return nil, nil
}
