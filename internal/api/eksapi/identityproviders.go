package eksapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
)

// The OIDC identity provider config operations:
// /clusters/{name}/identity-provider-configs[/associate|/describe|/disassociate].

// oidcConfigRequest is an OidcIdentityProviderConfigRequest.
type oidcConfigRequest struct {
	IdentityProviderConfigName string            `json:"identityProviderConfigName"`
	IssuerURL                  string            `json:"issuerUrl"`
	ClientID                   string            `json:"clientId"`
	UsernameClaim              string            `json:"usernameClaim"`
	UsernamePrefix             string            `json:"usernamePrefix"`
	GroupsClaim                string            `json:"groupsClaim"`
	GroupsPrefix               string            `json:"groupsPrefix"`
	RequiredClaims             map[string]string `json:"requiredClaims"`
}

// oidcConfigWire is an OidcIdentityProviderConfig: the optional members
// the request left out are left out.
type oidcConfigWire struct {
	IdentityProviderConfigName string            `json:"identityProviderConfigName"`
	IdentityProviderConfigARN  string            `json:"identityProviderConfigArn"`
	ClusterName                string            `json:"clusterName"`
	IssuerURL                  string            `json:"issuerUrl"`
	ClientID                   string            `json:"clientId"`
	UsernameClaim              string            `json:"usernameClaim,omitempty"`
	UsernamePrefix             string            `json:"usernamePrefix,omitempty"`
	GroupsClaim                string            `json:"groupsClaim,omitempty"`
	GroupsPrefix               string            `json:"groupsPrefix,omitempty"`
	RequiredClaims             map[string]string `json:"requiredClaims,omitempty"`
	Tags                       map[string]string `json:"tags"`
	Status                     string            `json:"status"`
}

func oidcConfigToWire(cluster string, idp *eks.OIDCIdentityProviderConfig) oidcConfigWire {
	w := oidcConfigWire{
		IdentityProviderConfigName: idp.Name, IdentityProviderConfigARN: idp.ARN, ClusterName: cluster,
		IssuerURL: idp.IssuerURL, ClientID: idp.ClientID, UsernameClaim: idp.UsernameClaim, UsernamePrefix: idp.UsernamePrefix,
		GroupsClaim: idp.GroupsClaim, GroupsPrefix: idp.GroupsPrefix, RequiredClaims: idp.RequiredClaims, Tags: idp.Tags, Status: idp.Status,
	}
	if w.Tags == nil {
		w.Tags = map[string]string{}
	}
	return w
}

// configRefWire is an IdentityProviderConfig: a config's type and name.
type configRefWire struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// configRefRequest is the body of Describe and Disassociate.
type configRefRequest struct {
	IdentityProviderConfig *configRefWire `json:"identityProviderConfig"`
	ClientRequestToken     string         `json:"clientRequestToken"`
}

// decodeConfigRef reads the body of Describe- and
// DisassociateIdentityProviderConfig: the config they name.
func decodeConfigRef(c *awsproto.Call, cluster string) (eks.IdentityProviderConfigRef, error) {
	var req configRefRequest
	if err := decode(c, &req); err != nil {
		return eks.IdentityProviderConfigRef{}, err
	}
	return req.ref(cluster)
}

// ref is the request's identityProviderConfig, which the model requires.
func (r *configRefRequest) ref(cluster string) (eks.IdentityProviderConfigRef, error) {
	if r.IdentityProviderConfig == nil {
		return eks.IdentityProviderConfigRef{}, awserr.Errorf(eks.CodeInvalidParameter,
			"1 validation error detected: Value null at 'identityProviderConfig' failed to satisfy constraint: Member must not be null").With("clusterName", cluster)
	}
	return eks.IdentityProviderConfigRef{Type: r.IdentityProviderConfig.Type, Name: r.IdentityProviderConfig.Name}, nil
}

func (h *Handler) associateIdentityProviderConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	var req struct {
		OIDC               *oidcConfigRequest `json:"oidc"`
		Tags               map[string]string  `json:"tags"`
		ClientRequestToken string             `json:"clientRequestToken"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.OIDC == nil {
		return awserr.Errorf(eks.CodeInvalidParameter,
			"1 validation error detected: Value null at 'oidc' failed to satisfy constraint: Member must not be null").With("clusterName", labels[0])
	}
	o := req.OIDC
	u, err := h.EKS.AssociateIdentityProviderConfig(r.Context(), eks.AssociateIdentityProviderConfigInput{
		Region: c.Region, ClusterName: labels[0], Name: o.IdentityProviderConfigName, IssuerURL: o.IssuerURL, ClientID: o.ClientID,
		UsernameClaim: o.UsernameClaim, UsernamePrefix: o.UsernamePrefix, GroupsClaim: o.GroupsClaim, GroupsPrefix: o.GroupsPrefix,
		RequiredClaims: o.RequiredClaims, Tags: req.Tags,
	})
	if err != nil {
		return err
	}
	tags := req.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u), "tags": tags})
	return nil
}

func (h *Handler) describeIdentityProviderConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	ref, err := decodeConfigRef(c, labels[0])
	if err != nil {
		return err
	}
	idp, err := h.EKS.DescribeIdentityProviderConfig(r.Context(), c.Region, labels[0], ref)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"identityProviderConfig": map[string]any{"oidc": oidcConfigToWire(labels[0], idp)}})
	return nil
}

func (h *Handler) listIdentityProviderConfigs(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	refs, next, err := h.EKS.ListIdentityProviderConfigs(r.Context(), c.Region, labels[0], max, r.URL.Query().Get("nextToken"))
	if err != nil {
		return err
	}
	list := make([]configRefWire, 0, len(refs))
	for _, ref := range refs {
		list = append(list, configRefWire{Type: ref.Type, Name: ref.Name})
	}
	out := map[string]any{"identityProviderConfigs": list}
	if next != "" {
		out["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

func (h *Handler) disassociateIdentityProviderConfig(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	ref, err := decodeConfigRef(c, labels[0])
	if err != nil {
		return err
	}
	u, err := h.EKS.DisassociateIdentityProviderConfig(r.Context(), c.Region, labels[0], ref)
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"update": updateToWire(u)})
	return nil
}
