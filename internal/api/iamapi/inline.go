package iamapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// putInlinePolicy serves Put{User,Role,Group}Policy.
func putInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind), "PolicyName", "PolicyDocument"); err != nil {
			return nil, err
		}
		return nil, h.IAM.PutInlinePolicy(r.Context(), kind, c.Form.Get(nameParam(kind)), c.Form.Get("PolicyName"), c.Form.Get("PolicyDocument"))
	}
}

// getInlinePolicy serves Get{User,Role,Group}Policy: the document comes
// URL-encoded, as IAM sends it.
func getInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind), "PolicyName"); err != nil {
			return nil, err
		}
		name, doc, err := h.IAM.InlinePolicy(r.Context(), kind, c.Form.Get(nameParam(kind)), c.Form.Get("PolicyName"))
		if err != nil {
			return nil, err
		}
		return []awsproto.Node{awsproto.Tx(nameParam(kind), name), awsproto.Tx("PolicyName", c.Form.Get("PolicyName")),
			awsproto.Tx("PolicyDocument", encodeDocument(doc))}, nil
	}
}

// deleteInlinePolicy serves Delete{User,Role,Group}Policy.
func deleteInlinePolicy(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind), "PolicyName"); err != nil {
			return nil, err
		}
		return nil, h.IAM.DeleteInlinePolicy(r.Context(), kind, c.Form.Get(nameParam(kind)), c.Form.Get("PolicyName"))
	}
}

// listInlinePolicies serves List{User,Role,Group}Policies: names only.
func listInlinePolicies(kind iam.EntityKind) action {
	return func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
		if err := required(c, nameParam(kind)); err != nil {
			return nil, err
		}
		pg, err := pageParams(c)
		if err != nil {
			return nil, err
		}
		names, err := h.IAM.InlinePolicyNames(r.Context(), kind, c.Form.Get(nameParam(kind)))
		if err != nil {
			return nil, err
		}
		names, more := page(names, func(n string) string { return n }, pg)
		items := make([]awsproto.Node, 0, len(names))
		for _, n := range names {
			items = append(items, awsproto.Tx("", n))
		}
		return listResult("PolicyNames", items, more), nil
	}
}
