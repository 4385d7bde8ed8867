package eksapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

// The EKS Pod Identity association operations:
// /clusters/{name}/pod-identity-associations[/{associationId}].

type podIdentityAssociationWire struct {
	ClusterName        string            `json:"clusterName"`
	Namespace          string            `json:"namespace"`
	ServiceAccount     string            `json:"serviceAccount"`
	RoleARN            string            `json:"roleArn"`
	AssociationARN     string            `json:"associationArn"`
	AssociationID      string            `json:"associationId"`
	Tags               map[string]string `json:"tags"`
	CreatedAt          epoch             `json:"createdAt"`
	ModifiedAt         epoch             `json:"modifiedAt"`
	OwnerARN           string            `json:"ownerArn,omitempty"`
	DisableSessionTags bool              `json:"disableSessionTags"`
	TargetRoleARN      string            `json:"targetRoleArn,omitempty"`
	ExternalID         string            `json:"externalId,omitempty"`
	Policy             string            `json:"policy,omitempty"`
}

func podIdentityToWire(a *eks.PodIdentityAssociation) podIdentityAssociationWire {
	w := podIdentityAssociationWire{
		ClusterName: a.ClusterName, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount, RoleARN: a.RoleARN,
		AssociationARN: a.AssociationARN, AssociationID: a.AssociationID, Tags: a.Tags,
		CreatedAt: epoch(a.CreatedAt), ModifiedAt: epoch(a.ModifiedAt), OwnerARN: a.OwnerARN,
		DisableSessionTags: a.DisableSessionTags, TargetRoleARN: a.TargetRoleARN, ExternalID: a.ExternalID, Policy: a.Policy,
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	return w
}

// podIdentitySummaryWire is a PodIdentityAssociationSummary, as List gives them.
type podIdentitySummaryWire struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	AssociationARN string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
	OwnerARN       string `json:"ownerArn,omitempty"`
}

func (h *Handler) createPodIdentityAssociation(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		Namespace          string            `json:"namespace"`
		ServiceAccount     string            `json:"serviceAccount"`
		RoleARN            string            `json:"roleArn"`
		ClientRequestToken string            `json:"clientRequestToken"`
		Tags               map[string]string `json:"tags"`
		DisableSessionTags *bool             `json:"disableSessionTags"`
		TargetRoleARN      string            `json:"targetRoleArn"`
		Policy             string            `json:"policy"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	a, err := h.EKS.CreatePodIdentityAssociation(r.Context(), eks.CreatePodIdentityAssociationInput{
		Region: c.Region, ClusterName: labels[0], Namespace: req.Namespace, ServiceAccount: req.ServiceAccount,
		RoleARN: req.RoleARN, TargetRoleARN: req.TargetRoleARN, DisableSessionTags: req.DisableSessionTags != nil && *req.DisableSessionTags,
		Policy: req.Policy, Tags: req.Tags, ClientRequestToken: req.ClientRequestToken,
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"association": podIdentityToWire(a)})
	return nil
}

func (h *Handler) describePodIdentityAssociation(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	a, err := h.EKS.GetPodIdentityAssociation(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"association": podIdentityToWire(a)})
	return nil
}

func (h *Handler) listPodIdentityAssociations(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	as, next, err := h.EKS.ListPodIdentityAssociations(r.Context(), c.Region, labels[0], q.Get("namespace"), q.Get("serviceAccount"), max, q.Get("nextToken"))
	if err != nil {
		return err
	}
	list := make([]podIdentitySummaryWire, 0, len(as))
	for _, a := range as {
		list = append(list, podIdentitySummaryWire{ClusterName: a.ClusterName, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount,
			AssociationARN: a.AssociationARN, AssociationID: a.AssociationID, OwnerARN: a.OwnerARN})
	}
	out := map[string]any{"associations": list}
	if next != "" {
		out["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

func (h *Handler) updatePodIdentityAssociation(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		RoleARN            *string `json:"roleArn"`
		ClientRequestToken string  `json:"clientRequestToken"`
		DisableSessionTags *bool   `json:"disableSessionTags"`
		TargetRoleARN      *string `json:"targetRoleArn"`
		Policy             *string `json:"policy"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	a, err := h.EKS.UpdatePodIdentityAssociation(r.Context(), eks.UpdatePodIdentityAssociationInput{
		Region: c.Region, ClusterName: labels[0], AssociationID: labels[1],
		RoleARN: req.RoleARN, TargetRoleARN: req.TargetRoleARN, DisableSessionTags: req.DisableSessionTags, Policy: req.Policy,
	})
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"association": podIdentityToWire(a)})
	return nil
}

func (h *Handler) deletePodIdentityAssociation(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	a, err := h.EKS.DeletePodIdentityAssociation(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"association": podIdentityToWire(a)})
	return nil
}
