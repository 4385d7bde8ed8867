package cwlogs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// Store keys. Groups are listed by account and region in name order, as
// DescribeLogGroups answers; streams by their group's id, which is new for
// every group made, so that a group deleted and made again never sees the
// old one's streams, and no group name is a prefix of another's keys.
const (
	groupPrefix  = "logs/groups/"
	streamPrefix = "logs/streams/"
)

func groupsKey(account, region string) string { return groupPrefix + account + "/" + region + "/" }
func groupKey(account, region, name string) string {
	return groupsKey(account, region) + name
}
func streamsKey(groupID string) string      { return streamPrefix + groupID + "/" }
func streamKey(groupID, name string) string { return streamsKey(groupID) + name }

// groupRecord is a log group as stored.
type groupRecord struct {
	ID              string            `json:"id"`
	Account         string            `json:"account"`
	Region          string            `json:"region"`
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays int               `json:"retentionInDays,omitempty"`
	KMSKeyID        string            `json:"kmsKeyId,omitempty"`
	Class           string            `json:"logGroupClass,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// streamRecord is a log stream as stored; its events are on disk under
// the group's and its own id.
type streamRecord struct {
	ID           string `json:"id"`
	GroupID      string `json:"groupId"`
	Name         string `json:"name"`
	CreationTime int64  `json:"creationTime"`
}

// newID is a random id for a group's or stream's directory.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// getGroup reads a group record and its revision; errNoGroup when absent.
func (s *Service) getGroup(ctx context.Context, account, region, name string) (*groupRecord, int64, error) {
	var g groupRecord
	rev, err := s.Store.Get(ctx, groupKey(account, region, name), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errNoGroup
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read log group %s: %w", name, err)
	}
	return &g, rev, nil
}

// getStream reads a stream record of a group; errNoStream when absent.
func (s *Service) getStream(ctx context.Context, g *groupRecord, name string) (*streamRecord, error) {
	var st streamRecord
	_, err := s.Store.Get(ctx, streamKey(g.ID, name), &st)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoStream
	}
	if err != nil {
		return nil, fmt.Errorf("read log stream %s of %s: %w", name, g.Name, err)
	}
	return &st, nil
}

// groupAndStream reads a group and one of its streams.
func (s *Service) groupAndStream(ctx context.Context, account, region, group, stream string) (*groupRecord, *streamRecord, error) {
	g, _, err := s.getGroup(ctx, account, region, group)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.getStream(ctx, g, stream)
	return g, st, err
}
