package iamapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

func (h *Handler) createUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	u, err := h.IAM.CreateUser(r.Context(), c.Form.Get("UserName"), c.Form.Get("Path"), c.MemberTags("Tags"))
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{userNode("User", u, true, time.Time{})}, nil
}

func (h *Handler) getUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name := c.Form.Get("UserName")
	if name == "" {
		// Without a name, GetUser describes the caller.
		if !strings.HasPrefix(c.Principal.UserID, "AIDA") {
			return nil, awserr.Errorf(iam.CodeValidation, "Must specify userName when calling with non-User credentials")
		}
		u, err := h.IAM.UserByARN(r.Context(), c.Principal.ARN)
		if err != nil {
			return nil, err
		}
		return h.userWithPasswordUse(r, u)
	}
	u, err := h.IAM.GetUser(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return h.userWithPasswordUse(r, u)
}

// userWithPasswordUse is GetUser's answer: the user with when its password
// was last used.
func (h *Handler) userWithPasswordUse(r *http.Request, u *iam.User) ([]awsproto.Node, error) {
	used, err := h.IAM.PasswordLastUsed(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{userNode("User", u, true, used)}, nil
}

func (h *Handler) listUsers(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	pg, prefix, err := pathPageParams(c)
	if err != nil {
		return nil, err
	}
	users, err := h.IAM.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	users = slices.DeleteFunc(users, func(u iam.User) bool { return !strings.HasPrefix(u.Path, prefix) })
	users, more := page(users, func(u iam.User) string { return strings.ToLower(u.Name) }, pg)
	used, err := h.IAM.PasswordsLastUsed(r.Context())
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range users {
		items = append(items, userNode("", &users[i], false, used[users[i].ID]))
	}
	return listResult("Users", items, more), nil
}

func (h *Handler) updateUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.UpdateUser(r.Context(), c.Form.Get("UserName"), c.Form.Get("NewUserName"), c.Form.Get("NewPath"))
}

func (h *Handler) deleteUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteUser(r.Context(), c.Form.Get("UserName"))
}

func (h *Handler) tagUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	t, err := requiredTags(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.TagUser(r.Context(), c.Form.Get("UserName"), t)
}

func (h *Handler) untagUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	keys, err := requiredTagKeys(c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.UntagUser(r.Context(), c.Form.Get("UserName"), keys)
}

func (h *Handler) listUserTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	u, err := h.IAM.GetUser(r.Context(), c.Form.Get("UserName"))
	if err != nil {
		return nil, err
	}
	return tagPage(u.Tags, pg), nil
}

// tagPage is one page of a List*Tags answer.
func tagPage(m map[string]string, pg pager) []awsproto.Node {
	ts, more := page(sortedTags(m), func(t tag) string { return t.key }, pg)
	return append([]awsproto.Node{tagsNode(ts)}, more...)
}

func (h *Handler) listGroupsForUser(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	pg, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	groups, err := h.IAM.GroupsForUser(r.Context(), c.Form.Get("UserName"))
	if err != nil {
		return nil, err
	}
	return groupPage(groups, pg), nil
}
