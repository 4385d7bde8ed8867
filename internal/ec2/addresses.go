package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Address is an Elastic IP address: a public IPv4 address of the account,
// associated with at most one network interface (keks's: a NAT
// gateway's).
type Address struct {
	AllocationID string            `json:"allocationId"`
	PublicIP     string            `json:"publicIp"`
	Region       string            `json:"region"`
	OwnerID      string            `json:"ownerId"`
	Domain       string            `json:"domain"`
	Tags         map[string]string `json:"tags,omitempty"`
	// Association, when the address is in use.
	AssociationID      string `json:"associationId,omitempty"`
	NetworkInterfaceID string `json:"networkInterfaceId,omitempty"`
	PrivateIP          string `json:"privateIp,omitempty"`
	// NatGatewayID is the NAT gateway whose interface has the address.
	NatGatewayID string `json:"natGatewayId,omitempty"`
	// InstanceID is the instance the address is associated with. An
	// instance that terminates lets go of it (worked out as addresses are
	// read: liveAssociation).
	InstanceID string `json:"instanceId,omitempty"`
}

// EC2 error codes of Elastic IP addresses.
const (
	CodeInvalidAllocationNotFound  = "InvalidAllocationID.NotFound"
	CodeInvalidAddressNotFound     = "InvalidAddress.NotFound"
	CodeInvalidIPAddressInUse      = "InvalidIPAddress.InUse"
	CodeAddressLimitExceeded       = "AddressLimitExceeded"
	CodeInvalidAllocationMalformed = "InvalidAllocationID.Malformed"
	// CodeAuthFailure is what EC2 answers a release of an address a NAT
	// gateway holds.
	CodeAuthFailure = "AuthFailure"
)

func init() {
	for _, c := range []string{CodeInvalidAllocationNotFound, CodeInvalidAddressNotFound, CodeInvalidIPAddressInUse,
		CodeAddressLimitExceeded, CodeInvalidAllocationMalformed} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// DomainVPC is the domain of every address keks allocates (EC2-Classic is gone).
const DomainVPC = "vpc"

// publicPools are where keks takes Elastic IPs from: the documentation
// ranges TEST-NET-2 and TEST-NET-3 (RFC 5737), which route nowhere, so an
// address never collides with a real one.
var publicPools = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}

const (
	addressPrefix  = "ec2/addresses/"
	publicIPPrefix = "ec2/publicips/"
)

func addressKey(id string) string  { return addressPrefix + id }
func publicIPKey(ip string) string { return publicIPPrefix + ip }

func allocationNotFound(id string) error {
	return awserr.Errorf(CodeInvalidAllocationNotFound, "The allocation ID '%s' does not exist", id)
}

// AllocateAddress takes a free public address for the account. Each
// address is claimed by a key of its own, so two allocations never get
// the same one (the second is decided again on what the first stored).
func (s *Service) AllocateAddress(ctx context.Context, region, owner string, tags map[string]string) (*Address, error) {
	a := &Address{AllocationID: newResourceID("eipalloc"), Region: region, OwnerID: owner, Domain: DomainVPC, Tags: tags}
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		all, err := store.List[Address](ctx, s.Store, addressPrefix)
		if err != nil {
			return err
		}
		used := map[string]bool{}
		for _, o := range all {
			used[o.PublicIP] = true
		}
		a.PublicIP = ""
		for _, pool := range publicPools {
			// .0 and .255 are left out, as no host has them.
			for ip := pool.Addr().Next(); pool.Contains(ip.Next()) && a.PublicIP == ""; ip = ip.Next() {
				if !used[ip.String()] {
					a.PublicIP = ip.String()
				}
			}
		}
		if a.PublicIP == "" {
			return awserr.Errorf(CodeAddressLimitExceeded, "The maximum number of addresses has been reached.")
		}
		t.Create(publicIPKey(a.PublicIP), map[string]string{"allocationId": a.AllocationID})
		t.Create(addressKey(a.AllocationID), a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("allocate address: %w", err)
	}
	return a, nil
}

// Addresses lists the Elastic IP addresses of a region.
func (s *Service) Addresses(ctx context.Context, region string) ([]Address, error) {
	all, err := store.List[Address](ctx, s.Store, addressPrefix)
	if err != nil {
		return nil, err
	}
	out := inRegion(all, region, func(a Address) string { return a.Region })
	for i := range out {
		if err := s.liveAssociation(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetAddress reads one address by its allocation id.
func (s *Service) GetAddress(ctx context.Context, id string) (*Address, error) {
	a, _, err := s.addressAt(ctx, id)
	return a, err
}

// liveAssociation drops from a an association with an instance that has
// terminated (or is gone), as EC2 disassociates an address then.
func (s *Service) liveAssociation(ctx context.Context, a *Address) error {
	if a.InstanceID == "" {
		return nil
	}
	in, err := s.GetInstance(ctx, a.InstanceID)
	if isCode(err, CodeInvalidInstanceNotFound) || (err == nil && in.State == StateTerminated) {
		a.clearAssociation()
		return nil
	}
	return err
}

func (a *Address) clearAssociation() {
	a.AssociationID, a.NatGatewayID, a.InstanceID, a.NetworkInterfaceID, a.PrivateIP = "", "", "", "", ""
}

func (s *Service) addressAt(ctx context.Context, id string) (*Address, int64, error) {
	var a Address
	rev, err := s.Store.Get(ctx, addressKey(id), &a)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, allocationNotFound(id)
	} else if err != nil {
		return nil, 0, err
	}
	if err := s.liveAssociation(ctx, &a); err != nil {
		return nil, 0, err
	}
	return &a, rev, nil
}

// AddressByIP finds an address of a region by its public IP.
func (s *Service) AddressByIP(ctx context.Context, region, ip string) (*Address, error) {
	all, err := s.Addresses(ctx, region)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].PublicIP == ip {
			return &all[i], nil
		}
	}
	return nil, awserr.Errorf(CodeInvalidAddressNotFound, "Address '%s' not found.", ip)
}

// ReleaseAddress gives an address back; one in use is refused, as EC2
// refuses it: one a NAT gateway holds with AuthFailure (EC2's own answer,
// which clients deleting NAT gateways retry on), any other association
// with InvalidIPAddress.InUse.
func (s *Service) ReleaseAddress(ctx context.Context, id string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		a, rev, err := s.addressAt(ctx, id)
		if err != nil {
			return err
		}
		if a.NatGatewayID != "" {
			return awserr.Errorf(CodeAuthFailure, "You do not have permission to access the specified resource.").WithStatus(http.StatusBadRequest)
		}
		if a.AssociationID != "" {
			return awserr.Errorf(CodeInvalidIPAddressInUse, "Address %s is in use.", a.PublicIP)
		}
		t.Unchanged(addressKey(id), rev)
		t.Delete(addressKey(id))
		t.Delete(publicIPKey(a.PublicIP))
		return nil
	})
}

// tagNetworkRecord retags a NAT gateway or an Elastic IP address.
func (s *Service) tagNetworkRecord(ctx context.Context, t *store.Txn, id string, retag func(map[string]string) (map[string]string, error)) error {
	if strings.HasPrefix(id, "nat-") {
		return tagRecord(ctx, s, t, natKey(id), func(v *NatGateway) *map[string]string { return &v.Tags }, natNotFound(id), retag)
	}
	return tagRecord(ctx, s, t, addressKey(id), func(v *Address) *map[string]string { return &v.Tags }, allocationNotFound(id), retag)
}

// AssociateAddress associates an address of the region with an
// instance's private address, and returns the association's id. An
// address associated elsewhere moves only with allowReassociation; one a
// NAT gateway holds never does. An instance has one address at most: the
// one it had is let go of, as EC2 does.
func (s *Service) AssociateAddress(ctx context.Context, region, allocationID, instanceID string, allowReassociation bool) (string, error) {
	var out string
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		a, rev, err := s.addressAt(ctx, allocationID)
		if err != nil || a.Region != region {
			return allocationNotFound(allocationID)
		}
		in, err := s.GetInstance(ctx, instanceID)
		if err != nil || in.Region != region {
			return awserr.Errorf(CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", instanceID)
		}
		if in.State != StatePending && in.State != StateRunning {
			return awserr.Errorf(CodeIncorrectInstanceState, "The instance '%s' is not in a valid state for this operation.", instanceID)
		}
		if a.NatGatewayID != "" || (a.AssociationID != "" && a.InstanceID != instanceID && !allowReassociation) {
			return awserr.Errorf(CodeResourceAlreadyAssociated, "resource %s is already associated with associate-id %s", allocationID, a.AssociationID)
		}
		all, err := store.List[Address](ctx, s.Store, addressPrefix)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.AllocationID != a.AllocationID && o.InstanceID == instanceID {
				// Read again with its revision, to let go of it.
				other, orev, err := s.addressAt(ctx, o.AllocationID)
				if err != nil {
					return err
				}
				other.clearAssociation()
				t.Unchanged(addressKey(other.AllocationID), orev)
				t.Put(addressKey(other.AllocationID), other)
			}
		}
		a.clearAssociation()
		a.AssociationID, a.InstanceID, a.PrivateIP = newResourceID("eipassoc"), instanceID, in.PrivateIP
		t.Unchanged(addressKey(a.AllocationID), rev)
		t.Put(addressKey(a.AllocationID), a)
		out = a.AssociationID
		return nil
	})
	return out, err
}

// DisassociateAddress ends an association with an instance; a NAT
// gateway's address goes with the gateway only.
func (s *Service) DisassociateAddress(ctx context.Context, region, associationID string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		all, err := s.Addresses(ctx, region)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.AssociationID != associationID {
				continue
			}
			if o.NatGatewayID != "" {
				return awserr.Errorf(CodeAuthFailure, "You do not have permission to access the specified resource.").WithStatus(http.StatusBadRequest)
			}
			a, rev, err := s.addressAt(ctx, o.AllocationID)
			if err != nil {
				return err
			}
			a.clearAssociation()
			t.Unchanged(addressKey(a.AllocationID), rev)
			t.Put(addressKey(a.AllocationID), a)
			return nil
		}
		return awserr.Errorf(CodeInvalidAssociationNotFound, "The association ID '%s' does not exist", associationID)
	})
}
