package console

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Nodes tables of the Compute tab and of a node group's page: the
// cluster's Kubernetes nodes as the signed-in principal may list them.

// nodesCard is a Nodes table: the cluster's nodes, or a node group's.
type nodesCard struct {
	Cluster, Nodegroup string
	Nodes              []computeNodeRow
	// Error is Kubernetes's refusal, shown in the table's place.
	Error *shownError
	// Note says why there are no nodes to list (the cluster is not
	// ACTIVE yet).
	Note string
	// Poll: node groups are changing, so the table refreshes itself.
	Poll bool
}

// computeNodeRow is a line of a Nodes table.
type computeNodeRow struct {
	Name, InstanceType, Group, Zone, Ready string
	// Fargate: the node is a Fargate node (Group is then its profile).
	Fargate bool
	Created time.Time
}

func (c *Console) nodesCard(ctx context.Context, s *Session, cluster *ekstypes.Cluster, nodegroup string) *nodesCard {
	n := &nodesCard{Cluster: aws.ToString(cluster.Name), Nodegroup: nodegroup}
	n.Nodes, n.Note, n.Error = c.listNodes(ctx, s, cluster, nodegroup)
	return n
}

// nodesPart is a Nodes table for htmx to swap in, refreshing itself while
// the cluster's node groups (or the one named) change.
func (c *Console) nodesPart(w http.ResponseWriter, r *http.Request, s *Session) error {
	ng := r.URL.Query().Get("nodegroup")
	if !isHTMX(r) {
		if ng != "" {
			http.Redirect(w, r, nodegroupHref(r.PathValue("name"), ng, ""), http.StatusSeeOther)
		} else {
			http.Redirect(w, r, computeHref(r.PathValue("name"), ""), http.StatusSeeOther)
		}
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
	card := c.nodesCard(r.Context(), s, cluster, ng)
	if ng != "" {
		out, err := cl.EKS.DescribeNodegroup(r.Context(), &eks.DescribeNodegroupInput{ClusterName: cluster.Name, NodegroupName: aws.String(ng)})
		card.Poll = err == nil && isChanging(out.Nodegroup.Status)
	} else if groups, err := describeNodegroups(r.Context(), cl, card.Cluster); err == nil {
		for _, g := range groups {
			card.Poll = card.Poll || isChanging(g.Status)
		}
	}
	c.renderFragment(w, r, "nodegroup", "nodesPart", &pageData{Session: s, Data: card})
	return nil
}

// listNodes lists the cluster's nodes (those of one node group when
// nodegroup is set) with the principal's Kubernetes identity. A cluster
// not ACTIVE has none to show (note), and a Kubernetes error (no access
// entry, RBAC) is shown in the table's place.
func (c *Console) listNodes(ctx context.Context, s *Session, cluster *ekstypes.Cluster, nodegroup string) ([]computeNodeRow, string, *shownError) {
	if cluster.Status != ekstypes.ClusterStatusActive && cluster.Status != ekstypes.ClusterStatusUpdating {
		return nil, fmt.Sprintf("The cluster is %s: its nodes can be listed once it is ACTIVE.", cluster.Status), nil
	}
	if !clusterHasEndpoint(cluster) {
		return nil, "The cluster has no API server endpoint yet.", nil
	}
	ctx, cancel := context.WithTimeout(ctx, computeKubeTimeout)
	defer cancel()
	kc, err := c.clients.kubeFor(ctx, s, aws.ToString(cluster.Name))
	if err != nil {
		se, _ := explain(err)
		return nil, "", se
	}
	opts := metav1.ListOptions{}
	if nodegroup != "" {
		opts.LabelSelector = computeLabelNodegroup + "=" + nodegroup
	}
	list, err := kc.CoreV1().Nodes().List(ctx, opts)
	if err != nil {
		se, _ := explain(err)
		return nil, "", se
	}
	rows := make([]computeNodeRow, 0, len(list.Items))
	for _, n := range list.Items {
		row := computeNodeRow{Name: n.Name, InstanceType: n.Labels[computeLabelInstanceType], Group: n.Labels[computeLabelNodegroup], Zone: n.Labels[computeLabelZone],
			Created: n.CreationTimestamp.Time, Ready: "Unknown"}
		if n.Labels[computeLabelComputeType] == "fargate" {
			row.Fargate, row.Group = true, n.Labels[computeLabelFargateProfile]
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				if cond.Status == corev1.ConditionTrue {
					row.Ready = "Ready"
				} else {
					row.Ready = "NotReady"
				}
			}
		}
		if n.Spec.Unschedulable {
			row.Ready += ",SchedulingDisabled"
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows, "", nil
}

// clusterHasEndpoint is whether the cluster has an API server to ask.
func clusterHasEndpoint(cluster *ekstypes.Cluster) bool {
	return aws.ToString(cluster.Endpoint) != "" && cluster.CertificateAuthority != nil && aws.ToString(cluster.CertificateAuthority.Data) != ""
}
