package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "updates", Title: "Update history", Order: 70, Load: loadUpdates})
	registerPage("cluster-update", "updates.html")
}

// updateRow is one update of the cluster or of one of its node groups.
type updateRow struct {
	Cluster   string
	Nodegroup string // "" for the cluster's own
	Addon     string // an add-on's update (its page only)
	Update    *ekstypes.Update
	Error     string
}

// updatesData is the Update history tab; it refreshes while an update
// is in progress.
type updatesData struct {
	Cluster    string
	Rows       []updateRow
	InProgress bool
}

// loadUpdates lists the cluster's updates and each node group's, newest
// first.
func loadUpdates(ctx context.Context, _ *Console, _ *Session, cl *awsClients, k *ekstypes.Cluster, _ *http.Request) (any, error) {
	name := aws.ToString(k.Name)
	type src struct{ nodegroup, id string }
	var srcs []src
	ids, err := listUpdateIDs(ctx, cl, name, "")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		srcs = append(srcs, src{"", id})
	}
	ngs := eks.NewListNodegroupsPaginator(cl.EKS, &eks.ListNodegroupsInput{ClusterName: aws.String(name)})
	for ngs.HasMorePages() {
		out, err := ngs.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ng := range out.Nodegroups {
			ids, err := listUpdateIDs(ctx, cl, name, ng)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				srcs = append(srcs, src{ng, id})
			}
		}
	}
	d := &updatesData{Cluster: name, Rows: make([]updateRow, len(srcs))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, s := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			in := &eks.DescribeUpdateInput{Name: aws.String(name), UpdateId: aws.String(s.id)}
			if s.nodegroup != "" {
				in.NodegroupName = aws.String(s.nodegroup)
			}
			row := updateRow{Cluster: name, Nodegroup: s.nodegroup}
			out, err := cl.EKS.DescribeUpdate(ctx, in)
			if err != nil {
				se, _ := explain(err)
				row.Error = se.Code + ": " + se.Message
				row.Update = &ekstypes.Update{Id: aws.String(s.id)}
			} else {
				row.Update = out.Update
			}
			d.Rows[i] = row
		}()
	}
	wg.Wait()
	sort.SliceStable(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i].Update.CreatedAt, d.Rows[j].Update.CreatedAt
		if a == nil || b == nil {
			return b == nil && a != nil
		}
		return a.After(*b)
	})
	for _, row := range d.Rows {
		d.InProgress = d.InProgress || row.Update.Status == ekstypes.UpdateStatusInProgress
	}
	return d, nil
}

func listUpdateIDs(ctx context.Context, cl *awsClients, cluster, nodegroup string) ([]string, error) {
	in := &eks.ListUpdatesInput{Name: aws.String(cluster)}
	if nodegroup != "" {
		in.NodegroupName = aws.String(nodegroup)
	}
	var ids []string
	p := eks.NewListUpdatesPaginator(cl.EKS, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(ids, out.UpdateIds...)
	}
	return ids, nil
}

// updateHref is an update's page (query: its node group or add-on), or
// the history when the API answered none.
func updateHref(cluster string, u *ekstypes.Update, query string) string {
	if u == nil || aws.ToString(u.Id) == "" {
		return clusterHref(cluster, "updates")
	}
	h := clusterHref(cluster, "updates", url.PathEscape(aws.ToString(u.Id)))
	if query != "" {
		h += "?" + query
	}
	return h
}

// updatePage is one update: its type, status, parameters and errors.
func (c *Console) updatePage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name, id, ng, addon := r.PathValue("name"), r.PathValue("id"), r.URL.Query().Get("nodegroup"), r.URL.Query().Get("addon")
	in := &eks.DescribeUpdateInput{Name: aws.String(name), UpdateId: aws.String(id)}
	if ng != "" {
		in.NodegroupName = aws.String(ng)
	}
	if addon != "" {
		in.AddonName = aws.String(addon)
	}
	out, err := cl.EKS.DescribeUpdate(r.Context(), in)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "cluster-update", &pageData{Title: "Update " + id, Session: s, Flash: r.URL.Query().Get("flash"),
		Data:   updateRow{Cluster: name, Nodegroup: ng, Addon: addon, Update: out.Update},
		Crumbs: clusterCrumbs(name, crumb{"Update history", clusterHref(name, "updates")}, crumb{id, r.URL.RequestURI()})})
	return nil
}
