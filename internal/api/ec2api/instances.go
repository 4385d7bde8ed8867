package ec2api

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

var stateCodes = map[string]int{ec2.StatePending: 0, ec2.StateRunning: 16, ec2.StateShutting: 32, ec2.StateTerminated: 48}

func stateNode(name, state string) awsproto.Node {
	return awsproto.El(name, awsproto.Int("code", stateCodes[state]), awsproto.Tx("name", state))
}

// instanceNode is an Instance in EC2's XML, with the volumes attached to it
// as its block device mappings.
func instanceNode(i *ec2.Instance, devices []blockDevice) awsproto.Node {
	mappings := make([]awsproto.Node, 0, len(devices))
	for _, d := range devices {
		mappings = append(mappings, d.node())
	}
	n := awsproto.El("", awsproto.Tx("instanceId", i.ID), awsproto.Tx("imageId", i.ImageID), stateNode("instanceState", i.State),
		awsproto.Tx("privateDnsName", i.PrivateDNSName()), awsproto.Tx("dnsName", ""), awsproto.Tx("instanceType", i.InstanceType),
		awsproto.Time("launchTime", i.LaunchTime), awsproto.El("placement", awsproto.Tx("availabilityZone", i.Zone), awsproto.Tx("tenancy", "default")),
		awsproto.Tx("subnetId", i.SubnetID), awsproto.Tx("vpcId", i.VPCID), awsproto.Tx("privateIpAddress", i.PrivateIP),
		awsproto.Tx("architecture", "x86_64"), awsproto.Tx("rootDeviceType", "ebs"), awsproto.Tx("hypervisor", "xen"),
		awsproto.List("blockDeviceMapping", "item", mappings), tagSet(i.Tags))
	if i.RoleARN != "" || i.InstanceProfileARN != "" {
		profile := i.InstanceProfileARN
		if profile == "" {
			profile = strings.Replace(i.RoleARN, ":role/", ":instance-profile/", 1)
		}
		n.Kids = append(n.Kids, awsproto.El("iamInstanceProfile", awsproto.Tx("arn", profile), awsproto.Tx("id", "AIPA"+strings.ToUpper(i.ID[2:12]))))
	}
	if i.KeyName != "" {
		n.Kids = append(n.Kids, awsproto.Tx("keyName", i.KeyName))
	}
	if i.Lifecycle != "" {
		n.Kids = append(n.Kids, awsproto.Tx("instanceLifecycle", i.Lifecycle))
	}
	if i.StateReason != "" {
		n.Kids = append(n.Kids, awsproto.El("stateReason", awsproto.Tx("code", "Client.UserInitiatedShutdown"), awsproto.Tx("message", i.StateReason)))
	}
	return n
}

func (h *Handler) runInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	c, _, err := h.withLaunchTemplate(r.Context(), c)
	if err != nil {
		return nil, err
	}
	minCount, hasMin, err := intParam(c, "MinCount")
	if err != nil {
		return nil, err
	}
	maxCount, hasMax, err := intParam(c, "MaxCount")
	if err != nil {
		return nil, err
	}
	if !hasMin || !hasMax {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameters MinCount and MaxCount")
	}
	if minCount < 1 || maxCount < 1 {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%d) for parameter minCount is invalid. MinCount and MaxCount must be at least 1.", min(minCount, maxCount))
	}
	if minCount > maxCount {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%d) for parameter maxCount is invalid. Must be greater than or equal to minCount (%d).", maxCount, minCount)
	}
	if maxCount > maxLaunch {
		return nil, awserr.Errorf("InstanceLimitExceeded", "You have requested more instances (%d) than your current instance limit of %d allows for the specified instance type.", maxCount, maxLaunch)
	}
	lifecycle := ""
	if c.Form.Get("InstanceMarketOptions.MarketType") == "spot" {
		lifecycle = ec2.LifecycleSpot
	}
	launched, err := h.launch(r.Context(), c, minCount, maxCount, lifecycle)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for i := range launched {
		items = append(items, h.withGroupSet(r.Context(), instanceNode(&launched[i], nil), &launched[i]))
	}
	return []awsproto.Node{awsproto.Tx("reservationId", "r-"+strings.TrimPrefix(launched[0].ID, "i-")), awsproto.Tx("ownerId", c.Principal.Account),
		awsproto.El("groupSet"), awsproto.List("instancesSet", "item", items)}, nil
}

// launch starts between minCount and maxCount instances as a RunInstances
// call's parameters (its launch template's already laid in) describe them:
// RunInstances and each of CreateFleet's overrides.
func (h *Handler) launch(ctx context.Context, c *awsproto.Call, minCount, maxCount int, lifecycle string) ([]ec2.Instance, error) {
	subnet := c.Form.Get("SubnetId")
	if subnet == "" {
		subnet = c.Form.Get("NetworkInterface.1.SubnetId")
	}
	if subnet == "" {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "keks needs a SubnetId for RunInstances")
	}
	typ := c.Form.Get("InstanceType")
	if typ == "" {
		typ = "m5.large"
	}
	profileARN, roleARN, err := h.launchProfile(ctx, c)
	if err != nil {
		return nil, err
	}
	userData := ""
	if ud := c.Form.Get("UserData"); ud != "" {
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid BASE64 encoding of user data.")
		}
		if len(b) > maxUserData {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "User data is limited to %d bytes", maxUserData)
		}
		userData = string(b)
	}
	tags, err := tagSpecs(c, "instance", "volume", "network-interface")
	if err != nil {
		return nil, err
	}
	node := nodeConfigOf(ctx, userData)
	if node.Cluster != "" {
		tags["kubernetes.io/cluster/"+node.Cluster] = "owned"
	}
	groups, err := h.launchGroupIDs(ctx, c, subnet)
	if err != nil {
		return nil, err
	}
	launched, err := h.EC2.RunInstances(ctx, ec2.Instance{SubnetID: subnet, InstanceType: typ, ImageID: c.Form.Get("ImageId"), RoleARN: roleARN, InstanceProfileARN: profileARN, Tags: tags, UserData: userData,
		SecurityGroupIDs: groups, KeyName: c.Form.Get("KeyName"), NodeLabels: node.Labels, NodeTaints: node.Taints, MaxPods: node.MaxPods, Lifecycle: lifecycle}, minCount, maxCount)
	if err != nil {
		return nil, err
	}
	if h.InstancesChanged != nil {
		h.InstancesChanged()
	}
	return launched, nil
}

// Launch limits: EC2's user data limit, and how many instances keks starts in one call.
const (
	maxUserData = 16 << 10
	maxLaunch   = 20
)

// clusterFromUserData finds the cluster an EKS node's user data joins:
// `/etc/eks/bootstrap.sh <cluster>` (AL2) or nodeadm's `name: <cluster>`.
func clusterFromUserData(ud string) string {
	for _, line := range strings.Split(ud, "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if strings.HasSuffix(w, "bootstrap.sh") && i+1 < len(f) {
				return f[i+1]
			}
		}
		if len(f) == 2 && f[0] == "name:" {
			return f[1]
		}
	}
	return ""
}

func (h *Handler) describeInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeInstances", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "InstanceId", "instancesSet")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "InstanceId")
	all, err := h.accountInstances(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, all, func(i ec2.Instance) string { return i.ID }, ec2.CodeInvalidInstanceNotFound, "instance ID"); err != nil {
		return nil, err
	}
	devices, err := h.blockDevices(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	var found []ec2.Instance
	for _, in := range all {
		if len(ids) > 0 && !slices.Contains(ids, in.ID) {
			continue
		}
		if matchesEach(fs, h.withGroupFields(r.Context(), withBlockDevices(instanceFields(&in), devices[in.ID]), &in), in.Tags) {
			found = append(found, in)
		}
	}
	found, next := page(found, func(i ec2.Instance) string { return i.ID }, pg)
	var res []awsproto.Node
	for i, in := range found {
		res = append(res, awsproto.El("", awsproto.Tx("reservationId", "r-"+strings.TrimPrefix(in.ID, "i-")), awsproto.Tx("ownerId", in.OwnerID),
			awsproto.El("groupSet"), awsproto.List("instancesSet", "item", []awsproto.Node{h.withGroupSet(r.Context(), instanceNode(&found[i], devices[in.ID]), &found[i])})))
	}
	return append([]awsproto.Node{awsproto.List("reservationSet", "item", res)}, nextToken(next)...), nil
}

// instanceFields are the filterable fields of an instance.
func instanceFields(in *ec2.Instance) map[string]string {
	f := map[string]string{"instance-id": in.ID, "instance-state-name": in.State, "instance-state-code": strconv.Itoa(stateCodes[in.State]),
		"subnet-id": in.SubnetID, "vpc-id": in.VPCID, "availability-zone": in.Zone, "availability-zone-id": zoneID(in.Region, in.Zone),
		"private-ip-address": in.PrivateIP, "private-dns-name": in.PrivateDNSName(), "instance-type": in.InstanceType, "image-id": in.ImageID,
		"owner-id": in.OwnerID, "reservation-id": "r-" + strings.TrimPrefix(in.ID, "i-"), "launch-time": in.LaunchTime.UTC().Format("2006-01-02T15:04:05.000Z"),
		"architecture": "x86_64", "hypervisor": "xen", "root-device-type": "ebs", "tenancy": "default", "virtualization-type": "hvm",
		"network-interface.subnet-id": in.SubnetID, "network-interface.vpc-id": in.VPCID, "network-interface.private-ip-address": in.PrivateIP}
	if in.Lifecycle != "" {
		f["instance-lifecycle"] = in.Lifecycle
	}
	if in.InstanceProfileARN != "" {
		f["iam-instance-profile.arn"] = in.InstanceProfileARN
	} else if in.RoleARN != "" {
		f["iam-instance-profile.arn"] = strings.Replace(in.RoleARN, ":role/", ":instance-profile/", 1)
	}
	return f
}

func (h *Handler) terminateInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "InstanceId")
	if len(ids) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter InstanceId")
	}
	// A Fargate node is not the account's to end: to EC2's API it does not exist.
	all, err := h.EC2.Instances(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	for _, in := range all {
		if in.Fargate != nil && slices.Contains(ids, in.ID) {
			return nil, awserr.Errorf(ec2.CodeInvalidInstanceNotFound, "The instance ID '%s' does not exist", in.ID)
		}
	}
	done, err := h.EC2.TerminateInstances(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	var items []awsproto.Node
	for _, t := range done {
		items = append(items, awsproto.El("", awsproto.Tx("instanceId", t.Instance.ID), stateNode("currentState", t.Instance.State), stateNode("previousState", t.Previous)))
	}
	if h.InstancesChanged != nil {
		h.InstancesChanged()
	}
	return []awsproto.Node{awsproto.List("instancesSet", "item", items)}, nil
}

// accountInstances are the instances EC2's API shows: not the Fargate
// nodes keks runs for pods, which on AWS belong to no account's EC2.
func (h *Handler) accountInstances(ctx context.Context, region string) ([]ec2.Instance, error) {
	all, err := h.EC2.Instances(ctx, region)
	return slices.DeleteFunc(all, func(in ec2.Instance) bool { return in.Fargate != nil }), err
}
