package iamapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createPolicyVersion(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn", "PolicyDocument"); err != nil {
		return nil, err
	}
	setDefault, err := boolParam(c, "SetAsDefault")
	if err != nil {
		return nil, err
	}
	v, err := h.IAM.CreatePolicyVersion(r.Context(), c.Form.Get("PolicyArn"), c.Form.Get("PolicyDocument"), setDefault)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.El("PolicyVersion", awsproto.Tx("VersionId", v.ID), awsproto.Bool("IsDefaultVersion", setDefault),
		awsproto.Time("CreateDate", v.CreateDate))}, nil
}

func (h *Handler) getPolicyVersion(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn", "VersionId"); err != nil {
		return nil, err
	}
	p, v, err := h.IAM.PolicyVersion(r.Context(), c.Form.Get("PolicyArn"), c.Form.Get("VersionId"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{versionNode("PolicyVersion", p, v, true)}, nil
}

// listPolicyVersions lists versions newest first, as IAM does.
func (h *Handler) listPolicyVersions(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.PolicyVersions(r.Context(), c.Form.Get("PolicyArn"))
	if err != nil {
		return nil, err
	}
	versions, more := page(p.Versions, newestFirst, pg)
	var items []awsproto.Node
	for i := range versions {
		items = append(items, versionNode("", p, &versions[i], false))
	}
	return listResult("Versions", items, more), nil
}

// newestFirst is a paging key that sorts v10 before v9 before v1.
func newestFirst(v iam.PolicyVersion) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(v.ID, ".", 2)[0], "v"))
	return fmt.Sprintf("%010d", 1<<30-n)
}

func (h *Handler) deletePolicyVersion(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn", "VersionId"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeletePolicyVersion(r.Context(), c.Form.Get("PolicyArn"), c.Form.Get("VersionId"))
}

func (h *Handler) setDefaultPolicyVersion(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "PolicyArn", "VersionId"); err != nil {
		return nil, err
	}
	return nil, h.IAM.SetDefaultPolicyVersion(r.Context(), c.Form.Get("PolicyArn"), c.Form.Get("VersionId"))
}
