// Package ec2api is the Query-protocol wire layer of the EC2 actions EKS
// and the EBS CSI driver need: availability zones, VPCs, subnets, security
// groups, internet gateways, route tables, tags, instances, and EBS
// volumes and snapshots.
package ec2api

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// Handler serves EC2 actions.
type Handler struct {
	EC2 *ec2.Service
	// SubnetInUse reports whether a cluster or instance uses a subnet.
	SubnetInUse func(subnetID string) (bool, error)
	// RoleARN resolves an instance profile (named after its role) to the role's ARN.
	RoleARN func(ctx context.Context, name string) (string, error)
	// InstanceProfile resolves an instance profile, by name or ARN, to its
	// ARN and its role's ARN ("" when it has none); when nil, or when it
	// finds nothing, RoleARN's profile named after its role stands.
	InstanceProfile func(ctx context.Context, nameOrARN string) (profileARN, roleARN string, err error)
	// InstancesChanged wakes the instance controller.
	InstancesChanged func()
}

// Service returns the front door's entry for EC2.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "ec2", Query: true, EC2: true, Version: "2016-11-15", Checks: h.checks, Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"DescribeAvailabilityZones":    (*Handler).describeAvailabilityZones,
	"DescribeRegions":              (*Handler).describeRegions,
	"DescribeVpcs":                 (*Handler).describeVpcs,
	"CreateVpc":                    (*Handler).createVpc,
	"DeleteVpc":                    (*Handler).deleteVpc,
	"DescribeSubnets":              (*Handler).describeSubnets,
	"CreateSubnet":                 (*Handler).createSubnet,
	"DeleteSubnet":                 (*Handler).deleteSubnet,
	"DescribeSecurityGroups":       (*Handler).describeSecurityGroups,
	"CreateSecurityGroup":          (*Handler).createSecurityGroup,
	"DeleteSecurityGroup":          (*Handler).deleteSecurityGroup,
	"CreateTags":                   (*Handler).createTags,
	"DeleteTags":                   (*Handler).deleteTags,
	"RunInstances":                 (*Handler).runInstances,
	"DescribeInstances":            (*Handler).describeInstances,
	"TerminateInstances":           (*Handler).terminateInstances,
	"CreateVolume":                 (*Handler).createVolume,
	"DescribeVolumes":              (*Handler).describeVolumes,
	"ModifyVolume":                 (*Handler).modifyVolume,
	"DescribeVolumesModifications": (*Handler).describeVolumesModifications,
	"AttachVolume":                 (*Handler).attachVolume,
	"DetachVolume":                 (*Handler).detachVolume,
	"DeleteVolume":                 (*Handler).deleteVolume,
	"CreateSnapshot":               (*Handler).createSnapshot,
	"DescribeSnapshots":            (*Handler).describeSnapshots,
	"DeleteSnapshot":               (*Handler).deleteSnapshot,
	"CreateInternetGateway":        (*Handler).createInternetGateway,
	"AttachInternetGateway":        (*Handler).attachInternetGateway,
	"DetachInternetGateway":        (*Handler).detachInternetGateway,
	"DeleteInternetGateway":        (*Handler).deleteInternetGateway,
	"DescribeInternetGateways":     (*Handler).describeInternetGateways,
	"CreateRouteTable":             (*Handler).createRouteTable,
	"DeleteRouteTable":             (*Handler).deleteRouteTable,
	"DescribeRouteTables":          (*Handler).describeRouteTables,
	"CreateRoute":                  (*Handler).createRoute,
	"ReplaceRoute":                 (*Handler).replaceRoute,
	"DeleteRoute":                  (*Handler).deleteRoute,
	"AssociateRouteTable":          (*Handler).associateRouteTable,
	"DisassociateRouteTable":       (*Handler).disassociateRouteTable,
	"ReplaceRouteTableAssociation": (*Handler).replaceRouteTableAssociation,
	// Security group rules (sgrules.go).
	"AuthorizeSecurityGroupIngress":              (*Handler).authorizeSecurityGroupIngress,
	"AuthorizeSecurityGroupEgress":               (*Handler).authorizeSecurityGroupEgress,
	"RevokeSecurityGroupIngress":                 (*Handler).revokeSecurityGroupIngress,
	"RevokeSecurityGroupEgress":                  (*Handler).revokeSecurityGroupEgress,
	"DescribeSecurityGroupRules":                 (*Handler).describeSecurityGroupRules,
	"ModifySecurityGroupRules":                   (*Handler).modifySecurityGroupRules,
	"UpdateSecurityGroupRuleDescriptionsIngress": (*Handler).updateSecurityGroupRuleDescriptionsIngress,
	"UpdateSecurityGroupRuleDescriptionsEgress":  (*Handler).updateSecurityGroupRuleDescriptionsEgress,
	// What Karpenter calls (instancetypes.go, images.go, instancestatus.go,
	// launchtemplates.go, fleet.go).
	"DescribeInstanceTypes":          (*Handler).describeInstanceTypes,
	"DescribeInstanceTypeOfferings":  (*Handler).describeInstanceTypeOfferings,
	"DescribeSpotPriceHistory":       (*Handler).describeSpotPriceHistory,
	"DescribeImages":                 (*Handler).describeImages,
	"DescribeInstanceStatus":         (*Handler).describeInstanceStatus,
	"CreateLaunchTemplate":           (*Handler).createLaunchTemplate,
	"CreateLaunchTemplateVersion":    (*Handler).createLaunchTemplateVersion,
	"DescribeLaunchTemplates":        (*Handler).describeLaunchTemplates,
	"DescribeLaunchTemplateVersions": (*Handler).describeLaunchTemplateVersions,
	"ModifyLaunchTemplate":           (*Handler).modifyLaunchTemplate,
	"DeleteLaunchTemplate":           (*Handler).deleteLaunchTemplate,
	"CreateFleet":                    (*Handler).createFleet,
}

const codeDryRun = "DryRunOperation"

func init() { awserr.RegisterStatus(codeDryRun, http.StatusPreconditionFailed) }

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name := c.Form.Get("Action")
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, "The action %s is not valid for this web service.", name)
	}
	if dry, err := boolParam(c, "DryRun"); err != nil {
		return err
	} else if dry {
		// The front door has authorized the call before the handler runs,
		// so a dry run here would have succeeded, as EC2 answers one.
		return awserr.Errorf(codeDryRun, "Request would have succeeded, but DryRun flag is set.")
	}
	out, err := act(h, r, c)
	if err != nil {
		return err
	}
	awsproto.WriteEC2Result(w, c.RequestID, name, out...)
	return nil
}

// listParam reads Name.1, Name.2, ...
func listParam(c *awsproto.Call, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.Form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// required reads a parameter EC2 cannot do without.
func required(c *awsproto.Call, name, wireName string) (string, error) {
	v := c.Form.Get(name)
	if v == "" {
		return "", awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter %s", wireName)
	}
	return v, nil
}

func boolParam(c *awsproto.Call, name string) (bool, error) {
	switch v := c.Form.Get(name); v {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid value '%s' for %s. Expected a boolean.", v, name)
	}
}

// intParam reads an integer parameter; ok is false when it is absent.
func intParam(c *awsproto.Call, name string) (n int, ok bool, err error) {
	v := c.Form.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(v)
	if err != nil {
		return 0, false, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid value '%s' for %s. Expected an integer.", v, name)
	}
	return n, true, nil
}

// tagParams reads Tag.N.Key / Tag.N.Value (CreateTags) or the tags of a
// TagSpecification.
func tagParams(c *awsproto.Call, prefix string) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.Form[fmt.Sprintf("%sTag.%d.Key", prefix, i)]
		if !ok {
			return out
		}
		out[k[0]] = c.Form.Get(fmt.Sprintf("%sTag.%d.Value", prefix, i))
	}
}

// tagSpecs reads the TagSpecification.N of a create action: the tags for
// its resource type, checked as CreateTags checks them. Tags for the other
// types the action accepts (an instance's volumes) are accepted and dropped.
func tagSpecs(c *awsproto.Call, resourceType string, others ...string) (map[string]string, error) {
	out := map[string]string{}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("TagSpecification.%d.", i)
		typ, ok := c.Form[prefix+"ResourceType"]
		tags := tagParams(c, prefix)
		if !ok && len(tags) == 0 {
			break
		}
		if !ok || (typ[0] != resourceType && !slices.Contains(others, typ[0])) {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", c.Form.Get(prefix+"ResourceType"))
		}
		if err := ec2.ValidateTags(tags); err != nil {
			return nil, err
		}
		if typ[0] == resourceType {
			maps.Copy(out, tags)
		}
	}
	if err := ec2.ValidateTags(out); err != nil {
		return nil, err
	}
	return out, nil
}
