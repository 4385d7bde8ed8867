package ec2api

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// checks describes an EC2 call for the front door's authorizer, as the
// Service Authorization Reference lists each action: the ARNs of the
// resources it acts on (arn:aws:ec2:<region>:<account>:<type>/<id>), the
// condition keys the request supplies, and a lookup of each existing
// resource's tags. A create acts on <type>/*, as EC2 names a resource whose
// id does not exist yet, and tags given at creation are also checked as
// ec2:CreateTags with ec2:CreateAction, as EC2 checks them. Describe* take
// no resource: "*". Every ec2: check carries ec2:Region.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	describe, ok := actionChecks[c.Form.Get("Action")]
	if !ok {
		return nil // not an EC2 action keks serves: the handler says so
	}
	call := &ec2Call{h: h, ctx: r.Context(), c: c}
	checks := describe(call)
	for i := range checks {
		if strings.HasPrefix(checks[i].Action, "ec2:") {
			addKey(&checks[i], "ec2:Region", c.Region)
		}
	}
	return checks
}

// actionChecks describes each action keks serves (the handler's actions).
var actionChecks = map[string]func(*ec2Call) []awsproto.Check{
	"DescribeAvailabilityZones":    onAnything("ec2:DescribeAvailabilityZones"),
	"DescribeRegions":              onAnything("ec2:DescribeRegions"),
	"DescribeVpcs":                 onAnything("ec2:DescribeVpcs"),
	"DescribeSubnets":              onAnything("ec2:DescribeSubnets"),
	"DescribeSecurityGroups":       onAnything("ec2:DescribeSecurityGroups"),
	"DescribeInstances":            onAnything("ec2:DescribeInstances"),
	"CreateVpc":                    (*ec2Call).createVpc,
	"DeleteVpc":                    (*ec2Call).deleteVpc,
	"CreateSubnet":                 (*ec2Call).createSubnet,
	"DeleteSubnet":                 (*ec2Call).deleteSubnet,
	"CreateSecurityGroup":          (*ec2Call).createSecurityGroup,
	"DeleteSecurityGroup":          (*ec2Call).deleteSecurityGroup,
	"CreateTags":                   (*ec2Call).createTags,
	"RunInstances":                 (*ec2Call).launchWithTemplate,
	"TerminateInstances":           (*ec2Call).terminateInstances,
	"DeleteTags":                   (*ec2Call).deleteTags,
	"DescribeVolumes":              onAnything("ec2:DescribeVolumes"),
	"DescribeVolumesModifications": onAnything("ec2:DescribeVolumesModifications"),
	"DescribeSnapshots":            onAnything("ec2:DescribeSnapshots"),
	"CreateVolume":                 (*ec2Call).createVolume,
	"ModifyVolume":                 onVolumeNamed("ec2:ModifyVolume"),
	"DeleteVolume":                 onVolumeNamed("ec2:DeleteVolume"),
	"AttachVolume":                 (*ec2Call).attachVolume,
	"DetachVolume":                 (*ec2Call).detachVolume,
	"CreateSnapshot":               (*ec2Call).createSnapshot,
	"DeleteSnapshot":               (*ec2Call).deleteSnapshot,
	"DescribeInternetGateways":     onAnything("ec2:DescribeInternetGateways"),
	"DescribeRouteTables":          onAnything("ec2:DescribeRouteTables"),
	"CreateInternetGateway":        (*ec2Call).createInternetGateway,
	"AttachInternetGateway":        onGatewayAndVPC("ec2:AttachInternetGateway"),
	"DetachInternetGateway":        onGatewayAndVPC("ec2:DetachInternetGateway"),
	"DeleteInternetGateway":        (*ec2Call).deleteInternetGateway,
	"CreateRouteTable":             (*ec2Call).createRouteTable,
	"DeleteRouteTable":             onRouteTableNamed("ec2:DeleteRouteTable"),
	"CreateRoute":                  onRouteTableNamed("ec2:CreateRoute"),
	"ReplaceRoute":                 onRouteTableNamed("ec2:ReplaceRoute"),
	"DeleteRoute":                  onRouteTableNamed("ec2:DeleteRoute"),
	"AssociateRouteTable":          (*ec2Call).associateRouteTable,
	"DisassociateRouteTable":       (*ec2Call).disassociateRouteTable,
	"ReplaceRouteTableAssociation": (*ec2Call).replaceRouteTableAssociation,
	// Security group rules act on their group (checks_sgrules.go).
	"AuthorizeSecurityGroupIngress":              authorizingRules("ec2:AuthorizeSecurityGroupIngress"),
	"AuthorizeSecurityGroupEgress":               authorizingRules("ec2:AuthorizeSecurityGroupEgress"),
	"RevokeSecurityGroupIngress":                 onRuleGroup("ec2:RevokeSecurityGroupIngress"),
	"RevokeSecurityGroupEgress":                  onRuleGroup("ec2:RevokeSecurityGroupEgress"),
	"UpdateSecurityGroupRuleDescriptionsIngress": onRuleGroup("ec2:UpdateSecurityGroupRuleDescriptionsIngress"),
	"UpdateSecurityGroupRuleDescriptionsEgress":  onRuleGroup("ec2:UpdateSecurityGroupRuleDescriptionsEgress"),
	"DescribeSecurityGroupRules":                 onAnything("ec2:DescribeSecurityGroupRules"),
	"ModifySecurityGroupRules":                   onRuleGroup("ec2:ModifySecurityGroupRules"),
	// Karpenter's calls (checks_launch.go).
	"DescribeInstanceTypes":          onAnything("ec2:DescribeInstanceTypes"),
	"DescribeInstanceTypeOfferings":  onAnything("ec2:DescribeInstanceTypeOfferings"),
	"DescribeSpotPriceHistory":       onAnything("ec2:DescribeSpotPriceHistory"),
	"DescribeImages":                 onAnything("ec2:DescribeImages"),
	"DescribeInstanceStatus":         onAnything("ec2:DescribeInstanceStatus"),
	"DescribeLaunchTemplates":        onAnything("ec2:DescribeLaunchTemplates"),
	"DescribeLaunchTemplateVersions": onAnything("ec2:DescribeLaunchTemplateVersions"),
	"CreateLaunchTemplate":           (*ec2Call).createLaunchTemplate,
	"CreateLaunchTemplateVersion":    onLaunchTemplateNamed("ec2:CreateLaunchTemplateVersion"),
	"ModifyLaunchTemplate":           onLaunchTemplateNamed("ec2:ModifyLaunchTemplate"),
	"DeleteLaunchTemplate":           onLaunchTemplateNamed("ec2:DeleteLaunchTemplate"),
	"CreateFleet":                    (*ec2Call).createFleet,
}

// ec2Call is one EC2 request being described.
type ec2Call struct {
	h   *Handler
	ctx context.Context
	c   *awsproto.Call
}

// onAnything is an action that takes no resource (EC2's Describe*).
func onAnything(action string) func(*ec2Call) []awsproto.Check {
	return func(*ec2Call) []awsproto.Check { return []awsproto.Check{{Action: action, Resource: "*"}} }
}

func (e *ec2Call) createVpc() []awsproto.Check {
	tenancy := cmp.Or(e.c.Form.Get("InstanceTenancy"), "default")
	return e.creating("CreateVpc", "vpc", map[string][]string{"ec2:Tenancy": {tenancy}})
}

func (e *ec2Call) deleteVpc() []awsproto.Check {
	return []awsproto.Check{e.onVPC("ec2:DeleteVpc", e.c.Form.Get("VpcId"))}
}

// createSubnet acts on the new subnet and on the VPC it is carved from.
func (e *ec2Call) createSubnet() []awsproto.Check {
	vpcID := e.c.Form.Get("VpcId")
	keys := map[string][]string{}
	if vpc := e.arn("vpc", vpcID); vpc != "*" {
		keys["ec2:Vpc"] = []string{vpc}
	}
	if zone := e.c.Form.Get("AvailabilityZone"); zone != "" {
		keys["ec2:AvailabilityZone"] = []string{zone}
	}
	return append(e.creating("CreateSubnet", "subnet", keys), e.onVPC("ec2:CreateSubnet", vpcID))
}

func (e *ec2Call) deleteSubnet() []awsproto.Check {
	return []awsproto.Check{e.onSubnet("ec2:DeleteSubnet", e.c.Form.Get("SubnetId"))}
}

// createSecurityGroup acts on the new group and on its VPC: the one named,
// or the region's default VPC, where the handler puts a group without one.
func (e *ec2Call) createSecurityGroup() []awsproto.Check {
	vpcID := e.c.Form.Get("VpcId")
	if vpcID == "" {
		vpcID = e.h.lookupDefaultVPC(e.ctx, e.c.Region)
	}
	keys := map[string][]string{}
	if vpc := e.arn("vpc", vpcID); vpc != "*" {
		keys["ec2:Vpc"] = []string{vpc}
	}
	return append(e.creating("CreateSecurityGroup", "security-group", keys), e.onVPC("ec2:CreateSecurityGroup", vpcID))
}

// deleteSecurityGroup acts on the group named by id, or by name in the
// default VPC, as the handler finds it.
func (e *ec2Call) deleteSecurityGroup() []awsproto.Check {
	id := e.c.Form.Get("GroupId")
	if id == "" {
		if name := e.c.Form.Get("GroupName"); name != "" {
			id = e.h.lookupGroupNamed(e.ctx, e.c.Region, e.h.lookupDefaultVPC(e.ctx, e.c.Region), name)
		}
	}
	return []awsproto.Check{e.onSecurityGroup("ec2:DeleteSecurityGroup", id)}
}

// createTags acts on each resource it tags, with the tags it sets.
func (e *ec2Call) createTags() []awsproto.Check {
	tags := awsproto.TagContext(tagParams(e.c, ""))
	ids := listParam(e.c, "ResourceId")
	if len(ids) == 0 {
		return []awsproto.Check{{Action: "ec2:CreateTags", Resource: "*", Context: tags}}
	}
	checks := make([]awsproto.Check, 0, len(ids))
	for _, id := range ids {
		ch := e.onExisting("ec2:CreateTags", id)
		addKeys(&ch, tags)
		checks = append(checks, ch)
	}
	return checks
}

func (e *ec2Call) terminateInstances() []awsproto.Check {
	ids := listParam(e.c, "InstanceId")
	if len(ids) == 0 {
		return []awsproto.Check{{Action: "ec2:TerminateInstances", Resource: "*"}}
	}
	checks := make([]awsproto.Check, 0, len(ids))
	for _, id := range ids {
		checks = append(checks, e.onInstance("ec2:TerminateInstances", id))
	}
	return checks
}

// runInstances needs what EC2 checks for a launch: ec2:RunInstances on the
// new instance, its volume and network interface, and on the subnet,
// security groups, image (and key pair) it uses; iam:PassRole on the
// instance profile's role.
func (e *ec2Call) runInstances() []awsproto.Check {
	form := e.c.Form
	subnetID := form.Get("SubnetId")
	if subnetID == "" {
		subnetID = form.Get("NetworkInterface.1.SubnetId")
	}
	subnet := e.h.lookupSubnet(e.ctx, e.c.Region, subnetID)
	zone := form.Get("Placement.AvailabilityZone")
	if subnet != nil {
		zone = subnet.AvailabilityZone
	}
	profileARN, roleARN := e.instanceProfile()

	// Each new resource is in the launch's zone.
	volumeKeys := map[string][]string{}
	if zone != "" {
		volumeKeys["ec2:AvailabilityZone"] = []string{zone}
	}
	instanceKeys := maps.Clone(volumeKeys)
	// The type the handler launches when none is given.
	instanceKeys["ec2:InstanceType"] = []string{cmp.Or(form.Get("InstanceType"), "m5.large")}
	instanceKeys["ec2:Tenancy"] = []string{"default"}
	instanceKeys["ec2:RootDeviceType"] = []string{"ebs"}
	instanceKeys["ec2:InstanceMarketType"] = []string{"on-demand"}
	if profileARN != "" {
		instanceKeys["ec2:InstanceProfile"] = []string{profileARN}
	}
	interfaceKeys := maps.Clone(volumeKeys)
	if arn := e.arn("subnet", subnetID); arn != "*" {
		interfaceKeys["ec2:Subnet"] = []string{arn}
	}
	if subnet != nil {
		interfaceKeys["ec2:Vpc"] = []string{e.arn("vpc", subnet.VPCID)}
	}

	var checks []awsproto.Check
	checks = append(checks, e.creating("RunInstances", "instance", instanceKeys)...)
	checks = append(checks, e.creating("RunInstances", "volume", volumeKeys)...)
	checks = append(checks, e.creating("RunInstances", "network-interface", interfaceKeys)...)
	checks = append(checks, e.onSubnet("ec2:RunInstances", subnetID))
	for _, id := range e.launchSecurityGroups(subnet) {
		checks = append(checks, e.onSecurityGroup("ec2:RunInstances", id))
	}
	checks = append(checks, e.onImage("ec2:RunInstances", form.Get("ImageId")))
	if name, ok := form["KeyName"]; ok {
		checks = append(checks, e.onKeyPair("ec2:RunInstances", name[0]))
	}
	if roleARN != "" {
		checks = append(checks, awsproto.Check{Action: "iam:PassRole", Resource: roleARN,
			Context: map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}}})
	}
	return checks
}

// launchSecurityGroups are the groups an instance joins: those named by id
// (or by name, in the subnet's VPC), else its VPC's default group, as EC2
// does. An unknown default is "" (checked as "*").
func (e *ec2Call) launchSecurityGroups(subnet *ec2.Subnet) []string {
	ids := append(listParam(e.c, "SecurityGroupId"), listParam(e.c, "NetworkInterface.1.SecurityGroupId")...)
	vpcID := ""
	if subnet != nil {
		vpcID = subnet.VPCID
	}
	for _, name := range listParam(e.c, "SecurityGroup") {
		ids = append(ids, e.h.lookupGroupNamed(e.ctx, e.c.Region, vpcID, name))
	}
	if len(ids) == 0 {
		ids = append(ids, e.h.lookupGroupNamed(e.ctx, e.c.Region, vpcID, "default"))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// instanceProfile reads IamInstanceProfile.Arn or .Name: the profile's ARN
// (for ec2:InstanceProfile) and its role's (what iam:PassRole passes).
// keks names each profile after its role; an unknown role is named by the
// profile's name, and a malformed one is "*". Both are "" when the request
// names no profile.
func (e *ec2Call) instanceProfile() (profileARN, roleARN string) {
	arn, name := e.c.Form.Get("IamInstanceProfile.Arn"), e.c.Form.Get("IamInstanceProfile.Name")
	if arn != "" {
		name = arn[strings.LastIndex(arn, "/")+1:]
	}
	if arn == "" && name == "" {
		return "", ""
	}
	if !iamName.MatchString(name) {
		return "", "*"
	}
	if e.h.InstanceProfile != nil {
		if p, r, err := e.h.InstanceProfile(e.ctx, cmp.Or(arn, name)); err == nil {
			return p, r
		}
	}
	roleARN = fmt.Sprintf("arn:aws:iam::%s:role/%s", e.c.Principal.Account, name)
	if e.h.RoleARN != nil {
		if found, err := e.h.RoleARN(e.ctx, name); err == nil {
			roleARN = found
		}
	}
	if strings.HasPrefix(arn, "arn:aws:iam::") && strings.Contains(arn, ":instance-profile/") {
		return arn, roleARN
	}
	return strings.Replace(roleARN, ":role/", ":instance-profile/", 1), roleARN
}

// creating is an action that makes a resource of type typ: the action on
// <type>/* with the tags its TagSpecification gives that type, and, when
// there are such tags, ec2:CreateTags with ec2:CreateAction = operation.
func (e *ec2Call) creating(operation, typ string, keys map[string][]string) []awsproto.Check {
	tags := awsproto.TagContext(specTags(e.c, typ))
	made := awsproto.Check{Action: "ec2:" + operation, Resource: e.newARN(typ)}
	addKeys(&made, keys)
	addKeys(&made, tags)
	if len(tags) == 0 {
		return []awsproto.Check{made}
	}
	tagging := awsproto.Check{Action: "ec2:CreateTags", Resource: made.Resource, Context: map[string][]string{"ec2:CreateAction": {operation}}}
	addKeys(&tagging, tags)
	return []awsproto.Check{made, tagging}
}

// onExisting is an action on a resource named by its id, whatever its type.
func (e *ec2Call) onExisting(action, id string) awsproto.Check {
	switch typeOfID(id) {
	case "vpc":
		return e.onVPC(action, id)
	case "subnet":
		return e.onSubnet(action, id)
	case "security-group":
		return e.onSecurityGroup(action, id)
	case "instance":
		return e.onInstance(action, id)
	case "volume":
		return e.onVolume(action, id)
	case "snapshot":
		return e.onSnapshot(action, id)
	case "route-table":
		return e.onRouteTable(action, id)
	case "internet-gateway":
		return e.onInternetGateway(action, id)
	case "natgateway":
		return e.onNatGateway(action, id)
	case "elastic-ip":
		return e.onElasticIP(action, id)
	case "launch-template":
		return e.onLaunchTemplate(action, id, "")
	}
	return awsproto.Check{Action: action, Resource: "*"}
}

func (e *ec2Call) onVPC(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("vpc", id)}
	if ch.Resource != "*" {
		ch.Context = map[string][]string{"ec2:VpcID": {id}, "ec2:Tenancy": {"default"}}
		ch.ResourceTags = e.tagsOf(id)
	}
	return ch
}

func (e *ec2Call) onSubnet(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("subnet", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:SubnetID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if s := e.h.lookupSubnet(e.ctx, e.c.Region, id); s != nil {
		ch.Context["ec2:Vpc"] = []string{e.arn("vpc", s.VPCID)}
		ch.Context["ec2:AvailabilityZone"] = []string{s.AvailabilityZone}
	}
	return ch
}

func (e *ec2Call) onSecurityGroup(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("security-group", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:SecurityGroupID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if g := e.h.lookupSecurityGroup(e.ctx, e.c.Region, id); g != nil {
		ch.Context["ec2:Vpc"] = []string{e.arn("vpc", g.VPCID)}
	}
	return ch
}

func (e *ec2Call) onInstance(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("instance", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:InstanceID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if in := e.h.lookupInstance(e.ctx, e.c.Region, id); in != nil {
		ch.Context["ec2:InstanceType"] = []string{in.InstanceType}
		ch.Context["ec2:AvailabilityZone"] = []string{in.Zone}
		ch.Context["ec2:Tenancy"] = []string{"default"}
		ch.Context["ec2:RootDeviceType"] = []string{"ebs"}
		if in.InstanceProfileARN != "" {
			ch.Context["ec2:InstanceProfile"] = []string{in.InstanceProfileARN}
		} else if in.RoleARN != "" {
			ch.Context["ec2:InstanceProfile"] = []string{strings.Replace(in.RoleARN, ":role/", ":instance-profile/", 1)}
		}
	}
	return ch
}

// onImage is an action on an AMI; keks keeps no images, so they have no tags.
func (e *ec2Call) onImage(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("image", id)}
	if ch.Resource != "*" {
		ch.Context = map[string][]string{"ec2:ImageID": {id}}
	}
	return ch
}

// onKeyPair is an action on a key pair, named by its name (its ARN's).
func (e *ec2Call) onKeyPair(action, name string) awsproto.Check {
	if !keyPairName.MatchString(name) {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	return awsproto.Check{Action: action, Resource: e.arnOf("key-pair", name),
		Context: map[string][]string{"ec2:KeyPairName": {name}}}
}

// idPrefixes are the id prefixes of the resource types keks describes.
var idPrefixes = map[string]string{
	"instance": "i", "vpc": "vpc", "subnet": "subnet", "security-group": "sg",
	"image": "ami", "volume": "vol", "network-interface": "eni", "snapshot": "snap",
	"route-table": "rtb", "internet-gateway": "igw", "launch-template": "lt",
}

var (
	resourceID = regexp.MustCompile(`^([a-z]+)-[0-9a-f]{8,17}$`)
	// iamName is IAM's name pattern (roles, instance profiles).
	iamName = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	// keyPairName keeps the characters that would read as wildcards or
	// path separators in an ARN out of one.
	keyPairName = regexp.MustCompile(`^[\w .:=+@-]{1,255}$`)
)

// typeOfID is the resource type an id names by its prefix ("" if none).
func typeOfID(id string) string {
	m := resourceID.FindStringSubmatch(id)
	if m == nil {
		return ""
	}
	for typ, prefix := range idPrefixes {
		if prefix == m[1] {
			return typ
		}
	}
	return ""
}

// arn names an existing resource of type typ, or "*" when id is not one of
// that type's ids.
func (e *ec2Call) arn(typ, id string) string {
	if typeOfID(id) != typ {
		return "*"
	}
	return e.arnOf(typ, id)
}

// newARN names a resource the call makes, before it has an id.
func (e *ec2Call) newARN(typ string) string { return e.arnOf(typ, "*") }

// arnOf formats an EC2 ARN; images and snapshots may be public to every
// account, so their ARNs name none.
func (e *ec2Call) arnOf(typ, id string) string {
	account := e.c.Principal.Account
	if typ == "image" || typ == "snapshot" {
		account = ""
	}
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", e.c.Region, account, typ, id)
}

// tagsOf looks a resource's tags up when a condition asks for them.
func (e *ec2Call) tagsOf(id string) func(context.Context) map[string]string {
	h, region := e.h, e.c.Region
	return func(ctx context.Context) map[string]string {
		switch typeOfID(id) {
		case "vpc":
			if v := h.lookupVPC(ctx, region, id); v != nil {
				return v.Tags
			}
		case "subnet":
			if s := h.lookupSubnet(ctx, region, id); s != nil {
				return s.Tags
			}
		case "security-group":
			if g := h.lookupSecurityGroup(ctx, region, id); g != nil {
				return g.Tags
			}
		case "instance":
			if in := h.lookupInstance(ctx, region, id); in != nil {
				return in.Tags
			}
		case "volume":
			if v := h.lookupVolume(ctx, region, id); v != nil {
				return v.Tags
			}
		case "snapshot":
			if s := h.lookupSnapshot(ctx, region, id); s != nil {
				return s.Tags
			}
		case "route-table":
			if rt := h.lookupRouteTable(ctx, region, id); rt != nil {
				return rt.Tags
			}
		case "internet-gateway":
			if g := h.lookupInternetGateway(ctx, region, id); g != nil {
				return g.Tags
			}
		case "natgateway", "elastic-ip":
			return h.networkTagsOf(ctx, region, id)
		}
		return nil
	}
}

// The lookups below find a resource of the request's region, or nil: when
// it does not exist, the id is malformed, or there is no model to ask
// (authorization must not fail where the handler would answer).

func (h *Handler) lookupVPC(ctx context.Context, region, id string) *ec2.VPC {
	if h.EC2 == nil || typeOfID(id) != "vpc" {
		return nil
	}
	if v, err := h.EC2.GetVPC(ctx, id); err == nil && v.Region == region {
		return v
	}
	return nil
}

func (h *Handler) lookupSubnet(ctx context.Context, region, id string) *ec2.Subnet {
	if h.EC2 == nil || typeOfID(id) != "subnet" {
		return nil
	}
	if s, err := h.EC2.GetSubnet(ctx, id); err == nil && s.Region == region {
		return s
	}
	return nil
}

func (h *Handler) lookupSecurityGroup(ctx context.Context, region, id string) *ec2.SecurityGroup {
	if h.EC2 == nil || typeOfID(id) != "security-group" {
		return nil
	}
	if g, err := h.EC2.GetSecurityGroup(ctx, id); err == nil && g.Region == region {
		return g
	}
	return nil
}

func (h *Handler) lookupInstance(ctx context.Context, region, id string) *ec2.Instance {
	if h.EC2 == nil || typeOfID(id) != "instance" {
		return nil
	}
	if in, err := h.EC2.GetInstance(ctx, id); err == nil && in.Region == region {
		return in
	}
	return nil
}

// lookupDefaultVPC is the id of the region's default VPC, or "".
func (h *Handler) lookupDefaultVPC(ctx context.Context, region string) string {
	if h.EC2 == nil {
		return ""
	}
	vpcs, err := h.EC2.VPCs(ctx, region)
	if err != nil {
		return ""
	}
	if i := slices.IndexFunc(vpcs, func(v ec2.VPC) bool { return v.IsDefault }); i >= 0 {
		return vpcs[i].ID
	}
	return ""
}

// lookupGroupNamed is the id of the security group of a VPC by that name, or "".
func (h *Handler) lookupGroupNamed(ctx context.Context, region, vpcID, name string) string {
	if h.EC2 == nil || vpcID == "" {
		return ""
	}
	groups, err := h.EC2.SecurityGroups(ctx, region)
	if err != nil {
		return ""
	}
	if i := slices.IndexFunc(groups, func(g ec2.SecurityGroup) bool { return g.VPCID == vpcID && g.Name == name }); i >= 0 {
		return groups[i].ID
	}
	return ""
}

// specTags reads the tags TagSpecification.N gives resources of type typ.
// Specifications the handler would refuse are the handler's to refuse.
func specTags(c *awsproto.Call, typ string) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("TagSpecification.%d.", i)
		resourceType, named := c.Form[prefix+"ResourceType"]
		tags := tagParams(c, prefix)
		if !named && len(tags) == 0 {
			return out
		}
		if named && resourceType[0] == typ {
			maps.Copy(out, tags)
		}
	}
}

// addKey sets a condition key of a check.
func addKey(ch *awsproto.Check, key string, values ...string) {
	addKeys(ch, map[string][]string{key: values})
}

// addKeys sets condition keys of a check.
func addKeys(ch *awsproto.Check, keys map[string][]string) {
	if len(keys) == 0 {
		return
	}
	if ch.Context == nil {
		ch.Context = map[string][]string{}
	}
	maps.Copy(ch.Context, keys)
}

// createInternetGateway acts on the new gateway.
func (e *ec2Call) createInternetGateway() []awsproto.Check {
	return e.creating("CreateInternetGateway", "internet-gateway", nil)
}

func (e *ec2Call) deleteInternetGateway() []awsproto.Check {
	return []awsproto.Check{e.onInternetGateway("ec2:DeleteInternetGateway", e.c.Form.Get("InternetGatewayId"))}
}

// onGatewayAndVPC is an action on the internet gateway and the VPC a
// request names (AttachInternetGateway, DetachInternetGateway).
func onGatewayAndVPC(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		return []awsproto.Check{e.onInternetGateway(action, e.c.Form.Get("InternetGatewayId")), e.onVPC(action, e.c.Form.Get("VpcId"))}
	}
}

// createRouteTable acts on the new table and on its VPC.
func (e *ec2Call) createRouteTable() []awsproto.Check {
	vpcID := e.c.Form.Get("VpcId")
	keys := map[string][]string{}
	if vpc := e.arn("vpc", vpcID); vpc != "*" {
		keys["ec2:Vpc"] = []string{vpc}
	}
	return append(e.creating("CreateRouteTable", "route-table", keys), e.onVPC("ec2:CreateRouteTable", vpcID))
}

// onRouteTableNamed is an action on the route table named by RouteTableId.
func onRouteTableNamed(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		return []awsproto.Check{e.onRouteTable(action, e.c.Form.Get("RouteTableId"))}
	}
}

// associateRouteTable acts on the table and on the subnet (or gateway) it
// is associated with.
func (e *ec2Call) associateRouteTable() []awsproto.Check {
	const action = "ec2:AssociateRouteTable"
	checks := []awsproto.Check{e.onRouteTable(action, e.c.Form.Get("RouteTableId"))}
	if id := e.c.Form.Get("SubnetId"); id != "" {
		checks = append(checks, e.onSubnet(action, id))
	}
	if id := e.c.Form.Get("GatewayId"); id != "" {
		checks = append(checks, e.onExisting(action, id))
	}
	return checks
}

// disassociateRouteTable acts on the table and subnet of the association
// it ends.
func (e *ec2Call) disassociateRouteTable() []awsproto.Check {
	const action = "ec2:DisassociateRouteTable"
	rt, a := e.h.lookupAssociation(e.ctx, e.c.Region, e.c.Form.Get("AssociationId"))
	if rt == nil {
		return []awsproto.Check{{Action: action, Resource: "*"}}
	}
	checks := []awsproto.Check{e.onRouteTable(action, rt.ID)}
	if a.SubnetID != "" {
		checks = append(checks, e.onSubnet(action, a.SubnetID))
	}
	return checks
}

// replaceRouteTableAssociation acts on the table the association moves to
// and on the association's subnet.
func (e *ec2Call) replaceRouteTableAssociation() []awsproto.Check {
	const action = "ec2:ReplaceRouteTableAssociation"
	checks := []awsproto.Check{e.onRouteTable(action, e.c.Form.Get("RouteTableId"))}
	if _, a := e.h.lookupAssociation(e.ctx, e.c.Region, e.c.Form.Get("AssociationId")); a != nil && a.SubnetID != "" {
		checks = append(checks, e.onSubnet(action, a.SubnetID))
	}
	return checks
}

func (e *ec2Call) onRouteTable(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("route-table", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:RouteTableID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	if rt := e.h.lookupRouteTable(e.ctx, e.c.Region, id); rt != nil {
		ch.Context["ec2:Vpc"] = []string{e.arn("vpc", rt.VPCID)}
	}
	return ch
}

func (e *ec2Call) onInternetGateway(action, id string) awsproto.Check {
	ch := awsproto.Check{Action: action, Resource: e.arn("internet-gateway", id)}
	if ch.Resource == "*" {
		return ch
	}
	ch.Context = map[string][]string{"ec2:InternetGatewayID": {id}}
	ch.ResourceTags = e.tagsOf(id)
	return ch
}

func (h *Handler) lookupRouteTable(ctx context.Context, region, id string) *ec2.RouteTable {
	if h.EC2 == nil || typeOfID(id) != "route-table" {
		return nil
	}
	if rt, err := h.EC2.GetRouteTable(ctx, id); err == nil && rt.Region == region {
		return rt
	}
	return nil
}

func (h *Handler) lookupInternetGateway(ctx context.Context, region, id string) *ec2.InternetGateway {
	if h.EC2 == nil || typeOfID(id) != "internet-gateway" {
		return nil
	}
	if g, err := h.EC2.GetInternetGateway(ctx, id); err == nil && g.Region == region {
		return g
	}
	return nil
}

// lookupAssociation finds a route table association of the region and
// its table, or nils.
func (h *Handler) lookupAssociation(ctx context.Context, region, id string) (*ec2.RouteTable, *ec2.RouteTableAssociation) {
	if m := resourceID.FindStringSubmatch(id); h.EC2 == nil || m == nil || m[1] != "rtbassoc" {
		return nil, nil
	}
	tables, err := h.EC2.RouteTables(ctx, region)
	if err != nil {
		return nil, nil
	}
	for i := range tables {
		for j := range tables[i].Associations {
			if tables[i].Associations[j].ID == id {
				return &tables[i], &tables[i].Associations[j]
			}
		}
	}
	return nil, nil
}
