package iam

import (
	"context"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// EntityKind names the identities that carry permissions policies alike:
// users, roles and groups.
type EntityKind int

// The kinds of entity.
const (
	UserEntity EntityKind = iota
	RoleEntity
	GroupEntity
)

func (k EntityKind) String() string {
	switch k {
	case UserEntity:
		return "user"
	case RoleEntity:
		return "role"
	case GroupEntity:
		return "group"
	}
	return fmt.Sprintf("EntityKind(%d)", int(k))
}

// quotaNoun is how IAM's quota names spell the kind: PoliciesPerUser.
func (k EntityKind) quotaNoun() string {
	return map[EntityKind]string{UserEntity: "User", RoleEntity: "Role", GroupEntity: "Group"}[k]
}

// inlineLimit is IAM's quota on the total size of an entity's inline
// policies, counted without whitespace.
func (k EntityKind) inlineLimit() int {
	return map[EntityKind]int{UserEntity: 2048, RoleEntity: 10240, GroupEntity: 5120}[k]
}

// holder is a user, role or group read for a change to its policies, with
// pointers into its record so that one code path serves all three.
type holder struct {
	kind     EntityKind
	name     string // as stored
	key      string
	rev      int64
	record   any // *User, *Role or *Group, written back whole
	policies *[]string
	inline   *map[string]string
}

func (s *Service) holderAt(ctx context.Context, kind EntityKind, name string) (*holder, error) {
	switch kind {
	case UserEntity:
		u, rev, err := s.userAt(ctx, name)
		if err != nil {
			return nil, err
		}
		return &holder{kind, u.Name, userKey(u.Name), rev, u, &u.Policies, &u.InlinePolicies}, nil
	case RoleEntity:
		r, rev, err := s.roleAt(ctx, name)
		if err != nil {
			return nil, err
		}
		return &holder{kind, r.Name, roleKey(r.Name), rev, r, &r.Policies, &r.InlinePolicies}, nil
	case GroupEntity:
		g, rev, err := s.groupAt(ctx, name)
		if err != nil {
			return nil, err
		}
		return &holder{kind, g.Name, groupKey(g.Name), rev, g, &g.Policies, &g.InlinePolicies}, nil
	}
	return nil, fmt.Errorf("unknown entity kind %v", kind)
}

// put makes t write the holder back, provided nobody changed it meanwhile.
func (h *holder) put(t *store.Txn) {
	t.Unchanged(h.key, h.rev)
	t.Put(h.key, h.record)
}
