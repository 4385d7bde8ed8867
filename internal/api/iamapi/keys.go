package iamapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	k, err := h.IAM.CreateAccessKey(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.El("AccessKey", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID),
		awsproto.Tx("Status", k.Status), awsproto.Tx("SecretAccessKey", k.Secret), awsproto.Time("CreateDate", k.CreateDate))}, nil
}

func (h *Handler) listAccessKeys(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	if _, err := h.IAM.GetUser(r.Context(), user); err != nil {
		return nil, err
	}
	keys, err := h.IAM.ListAccessKeys(r.Context(), user)
	if err != nil {
		return nil, err
	}
	keys, more := page(keys, func(k iam.AccessKey) string { return k.ID }, pg)
	var items []awsproto.Node
	for _, k := range keys {
		items = append(items, awsproto.El("", awsproto.Tx("UserName", k.UserName), awsproto.Tx("AccessKeyId", k.ID), awsproto.Tx("Status", k.Status), awsproto.Time("CreateDate", k.CreateDate)))
	}
	return listResult("AccessKeyMetadata", items, more), nil
}

func (h *Handler) updateAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "AccessKeyId", "Status"); err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UpdateAccessKey(r.Context(), user, c.Form.Get("AccessKeyId"), c.Form.Get("Status"))
}

func (h *Handler) deleteAccessKey(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "AccessKeyId"); err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteAccessKey(r.Context(), user, c.Form.Get("AccessKeyId"))
}

// notYetUsed is what IAM answers for the service and region of a key
// never used.
const notYetUsed = "N/A"

func (h *Handler) getAccessKeyLastUsed(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "AccessKeyId"); err != nil {
		return nil, err
	}
	user, used, err := h.IAM.AccessKeyLastUsed(r.Context(), c.Form.Get("AccessKeyId"))
	if err != nil {
		return nil, err
	}
	last := awsproto.El("AccessKeyLastUsed", awsproto.Tx("ServiceName", notYetUsed), awsproto.Tx("Region", notYetUsed))
	if used != nil {
		last = awsproto.El("AccessKeyLastUsed", awsproto.Time("LastUsedDate", used.Date), awsproto.Tx("ServiceName", used.Service), awsproto.Tx("Region", used.Region))
	}
	return []awsproto.Node{awsproto.Tx("UserName", user), last}, nil
}
