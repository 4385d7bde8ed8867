package iamapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName"); err != nil {
		return nil, err
	}
	g, err := h.IAM.CreateGroup(r.Context(), c.Form.Get("GroupName"), c.Form.Get("Path"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{groupNode("Group", g)}, nil
}

// getGroup answers with the group and one page of its users.
func (h *Handler) getGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	g, err := h.IAM.GetGroup(r.Context(), c.Form.Get("GroupName"))
	if err != nil {
		return nil, err
	}
	users, err := h.IAM.GroupMembers(r.Context(), g)
	if err != nil {
		return nil, err
	}
	users, more := page(users, func(u iam.User) string { return strings.ToLower(u.Name) }, pg)
	var items []awsproto.Node
	for i := range users {
		items = append(items, userNode("", &users[i], false, time.Time{}))
	}
	return append([]awsproto.Node{groupNode("Group", g)}, listResult("Users", items, more)...), nil
}

func (h *Handler) listGroups(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	groups, err := h.IAM.ListGroups(r.Context())
	if err != nil {
		return nil, err
	}
	groups = slices.DeleteFunc(groups, func(g iam.Group) bool { return !strings.HasPrefix(g.Path, prefix) })
	return groupPage(groups, pg), nil
}

// groupPage is one page of a Groups list.
func groupPage(groups []iam.Group, pg pager) []awsproto.Node {
	groups, more := page(groups, func(g iam.Group) string { return strings.ToLower(g.Name) }, pg)
	var items []awsproto.Node
	for i := range groups {
		items = append(items, groupNode("", &groups[i]))
	}
	return listResult("Groups", items, more)
}

func (h *Handler) updateGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.UpdateGroup(r.Context(), c.Form.Get("GroupName"), c.Form.Get("NewGroupName"), c.Form.Get("NewPath"))
}

func (h *Handler) deleteGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteGroup(r.Context(), c.Form.Get("GroupName"))
}

func (h *Handler) addUserToGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName", "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.AddUserToGroup(r.Context(), c.Form.Get("GroupName"), c.Form.Get("UserName"))
}

func (h *Handler) removeUserFromGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "GroupName", "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.RemoveUserFromGroup(r.Context(), c.Form.Get("GroupName"), c.Form.Get("UserName"))
}
