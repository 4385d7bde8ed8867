package iamapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// OpenID Connect providers: the issuers whose tokens STS's
// AssumeRoleWithWebIdentity takes (a cluster's, for IRSA).

const providerARNParam = "OpenIDConnectProviderArn"

func (h *Handler) createOIDCProvider(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "Url"); err != nil {
		return nil, err
	}
	p, err := h.IAM.CreateOIDCProvider(r.Context(), c.Form.Get("Url"), c.Members("ClientIDList"), c.Members("ThumbprintList"), c.MemberTags("Tags"))
	if err != nil {
		return nil, err
	}
	out := []awsproto.Node{awsproto.Tx(providerARNParam, p.ARN)}
	if len(p.Tags) > 0 {
		out = append(out, tagsNode(sortedTags(p.Tags)))
	}
	return out, nil
}

func (h *Handler) getOIDCProvider(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	p, err := h.IAM.GetOIDCProvider(r.Context(), c.Form.Get(providerARNParam))
	if err != nil {
		return nil, err
	}
	out := []awsproto.Node{awsproto.Tx("Url", p.URL), memberList("ClientIDList", p.ClientIDs), memberList("ThumbprintList", p.Thumbprints),
		awsproto.Time("CreateDate", p.CreateDate)}
	if len(p.Tags) > 0 {
		out = append(out, tagsNode(sortedTags(p.Tags)))
	}
	return out, nil
}

func (h *Handler) listOIDCProviders(r *http.Request, _ *awsproto.Call) ([]awsproto.Node, error) {
	all, err := h.IAM.ListOIDCProviders(r.Context())
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b iam.OIDCProvider) int { return strings.Compare(a.ARN, b.ARN) })
	items := make([]awsproto.Node, 0, len(all))
	for _, p := range all {
		items = append(items, awsproto.El("", awsproto.Tx("Arn", p.ARN)))
	}
	return []awsproto.Node{awsproto.List("OpenIDConnectProviderList", "member", items)}, nil
}

func (h *Handler) deleteOIDCProvider(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteOIDCProvider(r.Context(), c.Form.Get(providerARNParam))
}

func (h *Handler) addOIDCClientID(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam, "ClientID"); err != nil {
		return nil, err
	}
	return nil, h.IAM.AddOIDCClientID(r.Context(), c.Form.Get(providerARNParam), c.Form.Get("ClientID"))
}

func (h *Handler) removeOIDCClientID(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam, "ClientID"); err != nil {
		return nil, err
	}
	return nil, h.IAM.RemoveOIDCClientID(r.Context(), c.Form.Get(providerARNParam), c.Form.Get("ClientID"))
}

func (h *Handler) updateOIDCThumbprints(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	prints := c.Members("ThumbprintList")
	if prints == nil {
		return nil, required(c, "ThumbprintList")
	}
	return nil, h.IAM.UpdateOIDCThumbprints(r.Context(), c.Form.Get(providerARNParam), prints)
}

func (h *Handler) tagOIDCProvider(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	t, err := requiredTags(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.TagOIDCProvider(r.Context(), c.Form.Get(providerARNParam), t)
}

func (h *Handler) untagOIDCProvider(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UntagOIDCProvider(r.Context(), c.Form.Get(providerARNParam), keys)
}

func (h *Handler) listOIDCProviderTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, providerARNParam); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.GetOIDCProvider(r.Context(), c.Form.Get(providerARNParam))
	if err != nil {
		return nil, err
	}
	return tagPage(p.Tags, pg), nil
}

// memberList is a list of strings as the Query protocol writes them.
func memberList(name string, values []string) awsproto.Node {
	items := make([]awsproto.Node, 0, len(values))
	for _, v := range values {
		items = append(items, awsproto.Tx("", v))
	}
	return awsproto.List(name, "member", items)
}
