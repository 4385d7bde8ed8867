package eksapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

// The Fargate profile operations: /clusters/{name}/fargate-profiles[/{fargateProfileName}].

type fargateSelectorWire struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// fargateProfileWire is a FargateProfile: tags always (EKS answers {}),
// a selector's labels only when it has some, as EKS does.
type fargateProfileWire struct {
	FargateProfileName  string                `json:"fargateProfileName"`
	FargateProfileArn   string                `json:"fargateProfileArn"`
	ClusterName         string                `json:"clusterName"`
	CreatedAt           epoch                 `json:"createdAt"`
	PodExecutionRoleArn string                `json:"podExecutionRoleArn"`
	Subnets             []string              `json:"subnets"`
	Selectors           []fargateSelectorWire `json:"selectors"`
	Status              string                `json:"status"`
	Tags                map[string]string     `json:"tags"`
	Health              map[string]any        `json:"health"`
}

func fargateProfileToWire(fp *eks.FargateProfile) fargateProfileWire {
	w := fargateProfileWire{
		FargateProfileName: fp.Name, FargateProfileArn: fp.ARN, ClusterName: fp.ClusterName, CreatedAt: epoch(fp.CreatedAt),
		PodExecutionRoleArn: fp.PodExecutionRoleARN, Subnets: nonNil(fp.Subnets), Selectors: []fargateSelectorWire{},
		Status: fp.Status, Tags: fp.Tags, Health: map[string]any{"issues": issuesToWire(fp.Issues)},
	}
	for _, s := range fp.Selectors {
		w.Selectors = append(w.Selectors, fargateSelectorWire{Namespace: s.Namespace, Labels: s.Labels})
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	return w
}

func (h *Handler) createFargateProfile(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		FargateProfileName  string                `json:"fargateProfileName"`
		PodExecutionRoleArn string                `json:"podExecutionRoleArn"`
		Subnets             []string              `json:"subnets"`
		Selectors           []fargateSelectorWire `json:"selectors"`
		ClientRequestToken  string                `json:"clientRequestToken"`
		Tags                map[string]string     `json:"tags"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	in := eks.CreateFargateProfileInput{
		Region: c.Region, Account: c.Principal.Account, ClusterName: labels[0], Name: req.FargateProfileName,
		PodExecutionRoleARN: req.PodExecutionRoleArn, Subnets: req.Subnets, Tags: req.Tags, ClientRequestToken: req.ClientRequestToken,
	}
	for _, s := range req.Selectors {
		in.Selectors = append(in.Selectors, eks.FargateSelector{Namespace: s.Namespace, Labels: s.Labels})
	}
	fp, err := h.EKS.CreateFargateProfile(r.Context(), in)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"fargateProfile": fargateProfileToWire(fp)})
	return nil
}

func (h *Handler) describeFargateProfile(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	fp, err := h.EKS.GetFargateProfile(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"fargateProfile": fargateProfileToWire(fp)})
	return nil
}

func (h *Handler) listFargateProfiles(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	names, next, err := h.EKS.ListFargateProfiles(r.Context(), c.Region, labels[0], max, r.URL.Query().Get("nextToken"))
	if err != nil {
		return err
	}
	writeList(w, c, "fargateProfileNames", names, next)
	return nil
}

func (h *Handler) deleteFargateProfile(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	fp, err := h.EKS.DeleteFargateProfile(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"fargateProfile": fargateProfileToWire(fp)})
	return nil
}

// fargateProfileARN is the profile's own ARN (its last part is a UUID
// only the profile knows); for a profile that does not exist, the ARN
// with that part "*", and "*" when cluster and name cannot be part of one.
func (h *Handler) fargateProfileARN(ctx context.Context, a eksARNs, cluster, name string) string {
	if fp, err := h.EKS.GetFargateProfile(ctx, a.region, cluster, name); err == nil {
		return fp.ARN
	}
	if a.cluster(cluster) == "*" || name == "" || strings.Contains(name, "/") {
		return "*"
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:fargateprofile/%s/%s/*", a.region, a.account, cluster, name)
}
