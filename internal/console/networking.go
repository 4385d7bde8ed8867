package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func init() {
	registerTab(tab{Slug: "networking", Title: "Networking", Order: 30, Load: loadNetworking})
	registerPage("networking-endpoint", "networking.html")
}

// loadNetworking: the tab shows the cluster's own record.
func loadNetworking(context.Context, *Console, *Session, *awsClients, *ekstypes.Cluster, *http.Request) (any, error) {
	return nil, nil
}

// endpointData is the Manage endpoint access form.
type endpointData struct {
	Cluster, Access, CIDRs string
}

func endpointForm(k *ekstypes.Cluster) *endpointData {
	d := &endpointData{Cluster: aws.ToString(k.Name), Access: "public"}
	if v := k.ResourcesVpcConfig; v != nil {
		switch {
		case v.EndpointPublicAccess && v.EndpointPrivateAccess:
			d.Access = "both"
		case v.EndpointPrivateAccess:
			d.Access = "private"
		}
		d.CIDRs = strings.Join(v.PublicAccessCidrs, "\n")
	}
	return d
}

func (c *Console) endpointPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	out, err := cl.EKS.DescribeCluster(r.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "networking-endpoint", &pageData{Title: "Manage endpoint access · " + name, Session: s, Data: endpointForm(out.Cluster),
		Crumbs: clusterCrumbs(name, crumb{"Networking", clusterHref(name, "networking")}, crumb{"Manage endpoint access", clusterHref(name, "networking", "endpoint")})})
	return nil
}

func (c *Console) updateEndpoint(w http.ResponseWriter, r *http.Request, s *Session) error {
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	d := &endpointData{Cluster: name, Access: r.PostFormValue("access"), CIDRs: r.PostFormValue("cidrs")}
	in := &eks.UpdateClusterConfigInput{Name: aws.String(name), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}}
	switch d.Access {
	case "public":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(true), aws.Bool(false)
	case "both":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(true), aws.Bool(true)
	case "private":
		in.ResourcesVpcConfig.EndpointPublicAccess, in.ResourcesVpcConfig.EndpointPrivateAccess = aws.Bool(false), aws.Bool(true)
	default:
		err = badInput("Endpoint access is public, public and private, or private.")
	}
	if cidrs := lines(d.CIDRs); len(cidrs) > 0 && d.Access != "private" {
		in.ResourcesVpcConfig.PublicAccessCidrs = cidrs
	}
	if err == nil {
		var out *eks.UpdateClusterConfigOutput
		if out, err = cl.EKS.UpdateClusterConfig(r.Context(), in); err == nil {
			seeOther(w, r, updateHref(name, out.Update, ""), "Endpoint access of "+name+" is being updated.")
			return nil
		}
	}
	pd := &pageData{Title: "Manage endpoint access · " + name, Session: s, Data: d,
		Crumbs: clusterCrumbs(name, crumb{"Networking", clusterHref(name, "networking")}, crumb{"Manage endpoint access", clusterHref(name, "networking", "endpoint")})}
	c.render(w, r, formError(pd, err), "networking-endpoint", pd)
	return nil
}
