package console

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "tags", Title: "Tags", Order: 80, Load: loadTags})
	registerPage("tags-manage", "tags.html")
}

// loadTags: the cluster's tags are in its record.
func loadTags(context.Context, *Console, *Session, *awsClients, *ekstypes.Cluster, *http.Request) (any, error) {
	return nil, nil
}

type tagsData struct {
	Cluster, Tags string
}

func (c *Console) tagsPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "tags-manage", &pageData{Title: "Manage tags · " + name, Session: s, Data: &tagsData{Cluster: name, Tags: keyValueLines(out.Cluster.Tags)},
		Crumbs: clusterCrumbs(name, crumb{"Tags", clusterHref(name, "tags")}, crumb{"Manage tags", clusterHref(name, "tags", "manage")})})
	return nil
}

// updateTags makes the cluster's tags what the form lists: TagResource
// for new and changed ones, UntagResource for those gone.
func (c *Console) updateTags(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d := &tagsData{Cluster: name, Tags: r.PostFormValue("tags")}
	err = c.applyTags(r, cl, name, d.Tags)
	if err == nil {
		seeOther(w, r, clusterHref(name, "tags"), "Tags of "+name+" saved.")
		return nil
	}
	pd := &pageData{Title: "Manage tags · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Tags", clusterHref(name, "tags")}, crumb{"Manage tags", clusterHref(name, "tags", "manage")})}
	c.render(w, r, formError(pd, err), "tags-manage", pd)
	return nil
}

func (c *Console) applyTags(r *http.Request, cl *awsClients, name, text string) error {
	want, err := parseKeyValueLines(text, "Tags")
	if err != nil {
		return err
	}
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	have := out.Cluster.Tags
	set := map[string]string{}
	for k, v := range want {
		if cur, ok := have[k]; !ok || cur != v {
			set[k] = v
		}
	}
	var gone []string
	for _, k := range sortedKeys(have) {
		if _, ok := want[k]; !ok {
			gone = append(gone, k)
		}
	}
	arn := out.Cluster.Arn
	if len(set) > 0 {
		if _, err := cl.EKS.TagResource(r.Context(), &eks.TagResourceInput{ResourceArn: arn, Tags: set}); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		if _, err := cl.EKS.UntagResource(r.Context(), &eks.UntagResourceInput{ResourceArn: arn, TagKeys: gone}); err != nil {
			return err
		}
	}
	return nil
}
