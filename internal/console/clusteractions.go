package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerPage("cluster-upgrade", "clusteractions.html")
}

// upgradeData is the Upgrade version page: the cluster and the version
// after its own (none when it has the newest).
type upgradeData struct {
	Cluster *ekstypes.Cluster
	Next    string
}

// nextMinor is the Kubernetes minor version after v (1.33 → 1.34).
func nextMinor(v string) string {
	major, minor, ok := strings.Cut(v, ".")
	n, err := strconv.Atoi(minor)
	if !ok || err != nil {
		return ""
	}
	return major + "." + strconv.Itoa(n+1)
}

func (c *Console) upgradeData(r *http.Request, cl *awsClients) (*upgradeData, error) {
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(r.PathValue("name"))})
	if err != nil {
		return nil, err
	}
	d := &upgradeData{Cluster: out.Cluster}
	next := nextMinor(aws.ToString(out.Cluster.Version))
	if vs, err := cl.EKS.DescribeClusterVersions(r.Context(), &eks.DescribeClusterVersionsInput{ClusterVersions: []string{next}}); err == nil {
		for _, v := range vs.ClusterVersions {
			if aws.ToString(v.ClusterVersion) == next {
				d.Next = next
			}
		}
	} else {
		return nil, err
	}
	return d, nil
}

func (c *Console) upgradePage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	d, err := c.upgradeData(r, cl)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	c.render(w, r, http.StatusOK, "cluster-upgrade", &pageData{Title: "Upgrade " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Upgrade version", clusterHref(name, "upgrade")})})
	return nil
}

func (c *Console) upgradeCluster(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	version := r.PostFormValue("version")
	out, err := cl.EKS.UpdateClusterVersion(r.Context(), &eks.UpdateClusterVersionInput{Name: aws.String(name), Version: aws.String(version)})
	if err == nil {
		seeOther(w, r, updateHref(name, out.Update, ""), "Upgrading "+name+" to Kubernetes "+version+".")
		return nil
	}
	d, derr := c.upgradeData(r, cl)
	if derr != nil {
		return err
	}
	pd := &pageData{Title: "Upgrade " + name, Session: s, Data: d, Crumbs: clusterCrumbs(name, crumb{"Upgrade version", clusterHref(name, "upgrade")})}
	c.render(w, r, formError(pd, err), "cluster-upgrade", pd)
	return nil
}

// clusterDelete is the cluster's typed-name delete.
func clusterDelete(r *http.Request) typedDelete {
	name := r.PathValue("name")
	in := aws.String(name)
	return typedDelete{Kind: "cluster", Name: name, Page: clusterHref(name), Crumbs: clusterCrumbs(name),
		Done: withFlash(Prefix+"/clusters", "Cluster "+name+" is being deleted."),
		Note: "Deleting the cluster deletes its control plane and everything in it. Its node groups and Fargate profiles must be deleted first.",
		Exists: func(ctx context.Context, cl *awsClients) error {
			_, err := cl.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: in})
			return err
		},
		Delete: func(ctx context.Context, cl *awsClients, _ bool) error {
			_, err := cl.EKS.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: in})
			return err
		}}
}
