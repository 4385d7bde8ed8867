package iam

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam/awspolicies"
)

// PrincipalPolicies is what authorizing a call by p needs to know about p.
type PrincipalPolicies struct {
	Root      bool              // the account's root user: allowed everything
	Documents []string          // every identity-based policy document in force: inline and the default version of attached managed policies (customer and AWS), of the user and of each group it is in, and what the account's password policy grants users (changePasswordGrant); for a role session, the role's
	Tags      map[string]string // the user's or role's tags (aws:PrincipalTag)
	Username  string            // users only
	RoleARN   string            // sessions only: the role's ARN with its path
}

func (pp *PrincipalPolicies) clone() *PrincipalPolicies {
	c := *pp
	c.Documents = slices.Clone(pp.Documents)
	c.Tags = maps.Clone(pp.Tags)
	return &c
}

// PoliciesOf is what authorizing a call by p needs to know about p.
//
// It runs on every request, so answers are cached in memory per user or
// role. Every IAM write goes through Service.write, which drops the whole
// cache after it commits: a call made after a write returns sees it. keks
// is the store's only writer of IAM records (its claim on the store keeps
// a second server out), so no other invalidation is needed; entries also
// expire after principalCacheTTL as a bound on any mistake in that rule.
//
// A principal that no longer exists, or is not one IAM keeps (a deleted
// user, a session of a role since deleted or made again), has no policies:
// its calls are denied, not failed.
func (s *Service) PoliciesOf(ctx context.Context, p awsproto.Principal) (*PrincipalPolicies, error) {
	if isRootARN(p) {
		return &PrincipalPolicies{Root: true}, nil
	}
	who, ok := principalEntityOf(p)
	if !ok {
		return &PrincipalPolicies{}, nil
	}
	pp, gen, ok := s.cache.get(who.cacheKey)
	if ok {
		return pp.clone(), nil
	}
	pp, err := s.computePolicies(ctx, who)
	if err != nil {
		return nil, err
	}
	s.cache.put(who.cacheKey, gen, pp)
	return pp.clone(), nil
}

func isRootARN(p awsproto.Principal) bool {
	acct, ok := strings.CutPrefix(p.ARN, "arn:aws:iam::")
	if !ok {
		return false
	}
	acct, ok = strings.CutSuffix(acct, ":root")
	return ok && acct != "" && (p.Account == "" || acct == p.Account)
}

// principalEntity is the user, or the role of a session, a principal is.
type principalEntity struct {
	kind     EntityKind
	name     string
	id       string // the user's or role's unique ID, when the principal carries it
	arn      string
	cacheKey string
}

// principalEntityOf reads a principal's ARN: arn:aws:iam::A:user/path/name
// or arn:aws:sts::A:assumed-role/role/session.
func principalEntityOf(p awsproto.Principal) (principalEntity, bool) {
	if rest, ok := strings.CutPrefix(p.ARN, "arn:aws:iam::"); ok {
		if i := strings.Index(rest, ":user/"); i >= 0 {
			name := rest[strings.LastIndex(rest, "/")+1:]
			return principalEntity{kind: UserEntity, name: name, id: p.UserID, arn: p.ARN, cacheKey: "user " + p.ARN + " " + p.UserID}, name != ""
		}
		return principalEntity{}, false
	}
	if rest, ok := strings.CutPrefix(p.ARN, "arn:aws:sts::"); ok {
		if _, role, ok := strings.Cut(rest, ":assumed-role/"); ok {
			role, _, _ = strings.Cut(role, "/")
			id, _, _ := strings.Cut(p.UserID, ":") // a session's user ID is roleID:sessionName
			return principalEntity{kind: RoleEntity, name: role, id: id, cacheKey: "role " + strings.ToLower(role) + " " + id}, role != ""
		}
	}
	return principalEntity{}, false
}

func (s *Service) computePolicies(ctx context.Context, who principalEntity) (*PrincipalPolicies, error) {
	docs := &documentCollector{s: s, seen: map[string]bool{}}
	switch who.kind {
	case UserEntity:
		u, err := s.GetUser(ctx, who.name)
		if isNoSuchEntity(err) {
			return &PrincipalPolicies{}, nil
		} else if err != nil {
			return nil, err
		}
		if u.ARN != who.arn || (who.id != "" && u.ID != who.id) {
			return &PrincipalPolicies{}, nil
		}
		if err := docs.add(ctx, u.InlinePolicies, u.Policies); err != nil {
			return nil, err
		}
		groups, err := s.groupsOf(ctx, u)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if err := docs.add(ctx, g.InlinePolicies, g.Policies); err != nil {
				return nil, err
			}
		}
		// A password policy that lets users change their own passwords
		// grants it at the account level, to every user.
		if pol, err := s.passwordPolicy(ctx); err != nil {
			return nil, err
		} else if pol != nil && pol.AllowUsersToChangePassword {
			docs.out = append(docs.out, changePasswordGrant(u.ARN))
		}
		return &PrincipalPolicies{Documents: docs.out, Tags: u.Tags, Username: u.Name}, nil
	case RoleEntity:
		r, err := s.GetRole(ctx, who.name)
		if isNoSuchEntity(err) {
			return &PrincipalPolicies{}, nil
		} else if err != nil {
			return nil, err
		}
		if who.id != "" && r.ID != who.id {
			return &PrincipalPolicies{}, nil // a session of an earlier role of that name
		}
		if err := docs.add(ctx, r.InlinePolicies, r.Policies); err != nil {
			return nil, err
		}
		return &PrincipalPolicies{Documents: docs.out, Tags: r.Tags, RoleARN: r.ARN}, nil
	}
	return &PrincipalPolicies{}, nil
}

// documentCollector gathers the documents of inline and attached policies,
// reading each managed policy once.
type documentCollector struct {
	s    *Service
	seen map[string]bool // managed policy ARNs already added
	out  []string
}

func (c *documentCollector) add(ctx context.Context, inline map[string]string, attached []string) error {
	for _, name := range slices.Sorted(maps.Keys(inline)) {
		c.out = append(c.out, inline[name])
	}
	for _, arn := range attached {
		if c.seen[arn] {
			continue
		}
		c.seen[arn] = true
		if isAWSPolicyARN(arn) {
			// An ARN keks no longer knows grants nothing.
			if p, ok := awspolicies.Lookup(arn); ok {
				c.out = append(c.out, p.Document)
			}
			continue
		}
		p, _, err := c.s.policyAt(ctx, arn)
		if isNoSuchEntity(err) {
			continue
		} else if err != nil {
			return err
		}
		c.out = append(c.out, p.Document)
	}
	return nil
}

func isNoSuchEntity(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code == CodeNoSuchEntity
}

// principalCacheTTL bounds how long a cached answer lives even without writes.
const principalCacheTTL = time.Minute

// maxCachedPrincipals bounds the cache; past it the cache starts over.
const maxCachedPrincipals = 4096

// principalCache holds PoliciesOf's answers. gen counts invalidations: an
// answer computed from reads that began before an invalidation is not kept.
type principalCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedPolicies
}

type cachedPolicies struct {
	pp *PrincipalPolicies
	at time.Time
}

// get returns a cached answer, or the generation to store a fresh one under.
func (c *principalCache) get(key string) (*PrincipalPolicies, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && time.Since(e.at) < principalCacheTTL {
		return e.pp, c.gen, true
	}
	return nil, c.gen, false
}

// put keeps an answer computed in generation gen, unless a write has
// invalidated the cache since.
func (c *principalCache) put(key string, gen uint64, pp *PrincipalPolicies) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= maxCachedPrincipals {
		c.entries = map[string]cachedPolicies{}
	}
	c.entries[key] = cachedPolicies{pp: pp, at: time.Now()}
}

func (c *principalCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = nil
}
