package ec2

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

const igwPrefix = "ec2/internetgateways/"

func igwKey(id string) string { return igwPrefix + id }

// AttachmentAvailable is the state EC2 reports of an internet gateway's
// attachment to a VPC (not "attached", as for other gateways).
const AttachmentAvailable = "available"

func igwNotFound(id string) error {
	return awserr.Errorf(CodeInvalidInternetGatewayNotFound, "The internetGateway ID '%s' does not exist", id)
}

// CreateInternetGateway makes an internet gateway attached to nothing.
func (s *Service) CreateInternetGateway(ctx context.Context, region, owner string, tags map[string]string) (*InternetGateway, error) {
	g := &InternetGateway{ID: newResourceID("igw"), Region: region, OwnerID: owner, Tags: tags}
	if err := s.Store.Create(ctx, igwKey(g.ID), g); err != nil {
		return nil, fmt.Errorf("create internet gateway: %w", err)
	}
	return g, nil
}

// InternetGateways lists the internet gateways of a region.
func (s *Service) InternetGateways(ctx context.Context, region string) ([]InternetGateway, error) {
	all, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
	return inRegion(all, region, func(g InternetGateway) string { return g.Region }), err
}

// GetInternetGateway reads one internet gateway.
func (s *Service) GetInternetGateway(ctx context.Context, id string) (*InternetGateway, error) {
	g, _, err := s.igwAt(ctx, id)
	return g, err
}

func (s *Service) igwAt(ctx context.Context, id string) (*InternetGateway, int64, error) {
	var g InternetGateway
	rev, err := s.Store.Get(ctx, igwKey(id), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, igwNotFound(id)
	} else if err != nil {
		return nil, 0, err
	}
	return &g, rev, nil
}

// AttachInternetGateway attaches an internet gateway to a VPC of its
// region. A gateway is attached to one VPC at most, and a VPC has one
// gateway at most.
func (s *Service) AttachInternetGateway(ctx context.Context, igwID, vpcID string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.igwAt(ctx, igwID)
		if err != nil {
			return err
		}
		// Claiming the VPC orders this attach after any other to it (and
		// before a DeleteVpc, which then sees the gateway).
		v, err := s.claimVPC(ctx, t, vpcID)
		if err != nil {
			return err
		}
		if v.Region != g.Region {
			return awserr.Errorf(CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", vpcID)
		}
		if at := g.AttachedTo(); at != "" {
			return awserr.Errorf(CodeResourceAlreadyAssociated, "resource %s is already attached to network %s", igwID, at)
		}
		others, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != g.ID && o.AttachedTo() == vpcID {
				return awserr.Errorf(CodeInvalidParameterValue, "Network %s already has an internet gateway attached", vpcID)
			}
		}
		g.Attachments = []InternetGatewayAttachment{{VPCID: vpcID, State: AttachmentAvailable}}
		t.Unchanged(igwKey(igwID), rev)
		t.Put(igwKey(igwID), g)
		return nil
	})
}

// DetachInternetGateway detaches an internet gateway from its VPC; routes
// to it become blackholes.
func (s *Service) DetachInternetGateway(ctx context.Context, igwID, vpcID string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.igwAt(ctx, igwID)
		if err != nil {
			return err
		}
		if _, _, err := s.vpcAt(ctx, vpcID); err != nil {
			return err
		}
		if g.AttachedTo() != vpcID {
			return awserr.Errorf(CodeGatewayNotAttached, "resource %s is not attached to network %s", igwID, vpcID)
		}
		g.Attachments = nil
		t.Unchanged(igwKey(igwID), rev)
		t.Put(igwKey(igwID), g)
		return nil
	})
}

// DeleteInternetGateway removes an internet gateway attached to nothing.
func (s *Service) DeleteInternetGateway(ctx context.Context, id string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.igwAt(ctx, id)
		if err != nil {
			return err
		}
		if g.AttachedTo() != "" {
			return awserr.Errorf(CodeDependencyViolation, "The internetGateway '%s' has dependencies and cannot be deleted.", id)
		}
		t.Unchanged(igwKey(id), rev)
		t.Delete(igwKey(id))
		return nil
	})
}
