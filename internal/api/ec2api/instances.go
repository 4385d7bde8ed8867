package ec2api

import (
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

func instanceNode(i *ec2.Instance) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("instanceId", i.ID), awsproto.Tx("imageId", i.ImageID), stateNode("instanceState", i.State),
		awsproto.Tx("privateDnsName", i.PrivateDNSName()), awsproto.Tx("dnsName", ""), awsproto.Tx("instanceType", i.InstanceType),
		awsproto.Time("launchTime", i.LaunchTime), awsproto.El("placement", awsproto.Tx("availabilityZone", i.Zone), awsproto.Tx("tenancy", "default")),
		awsproto.Tx("subnetId", i.SubnetID), awsproto.Tx("vpcId", i.VPCID), awsproto.Tx("privateIpAddress", i.PrivateIP),
		awsproto.Tx("architecture", "x86_64"), awsproto.Tx("rootDeviceType", "ebs"), awsproto.Tx("hypervisor", "xen"), tagSet(i.Tags))
	if i.RoleARN != "" {
		profile := strings.Replace(i.RoleARN, ":role/", ":instance-profile/", 1)
		n.Kids = append(n.Kids, awsproto.El("iamInstanceProfile", awsproto.Tx("arn", profile), awsproto.Tx("id", "AIPA"+strings.ToUpper(i.ID[2:12]))))
	}
	if i.StateReason != "" {
		n.Kids = append(n.Kids, awsproto.El("stateReason", awsproto.Tx("code", "Client.UserInitiatedShutdown"), awsproto.Tx("message", i.StateReason)))
	}
	return n
}

func (h *Handler) runInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	count, _ := strconv.Atoi(c.Form.Get("MaxCount"))
	minCount, _ := strconv.Atoi(c.Form.Get("MinCount"))
	if count < 1 || minCount < 1 || minCount > count || count > 20 {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "MinCount and MaxCount must be between 1 and 20, with MinCount <= MaxCount")
	}
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
	role := ""
	if arn := c.Form.Get("IamInstanceProfile.Arn"); arn != "" {
		role = arn[strings.LastIndex(arn, "/")+1:]
	} else {
		role = c.Form.Get("IamInstanceProfile.Name")
	}
	var roleARN string
	if role != "" && h.RoleARN != nil {
		arn, err := h.RoleARN(r.Context(), role)
		if err != nil {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", role)
		}
		roleARN = arn
	}
	userData := ""
	if ud := c.Form.Get("UserData"); ud != "" {
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid BASE64 encoding of user data.")
		}
		userData = string(b)
	}
	tags := tagSpecs(c)
	if cl := clusterFromUserData(userData); cl != "" {
		tags["kubernetes.io/cluster/"+cl] = "owned"
	}
	var items []awsproto.Node
	for n := 0; n < count; n++ {
		in, err := h.EC2.RunInstance(r.Context(), ec2.Instance{SubnetID: subnet, InstanceType: typ, ImageID: c.Form.Get("ImageId"), RoleARN: roleARN, Tags: tags, UserData: userData})
		if err != nil {
			return nil, err
		}
		items = append(items, instanceNode(in))
	}
	if h.InstancesChanged != nil {
		h.InstancesChanged()
	}
	return []awsproto.Node{awsproto.Tx("reservationId", "r-"+strings.TrimPrefix(items[0].Kids[0].Text, "i-")), awsproto.Tx("ownerId", c.Principal.Account),
		awsproto.El("groupSet"), awsproto.List("instancesSet", "item", items)}, nil
}

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
	ids := listParam(c, "InstanceId")
	all, err := h.EC2.Instances(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, all, func(i ec2.Instance) string { return i.ID }, "InvalidInstanceID.NotFound", "instance ID"); err != nil {
		return nil, err
	}
	fs := filters(c)
	var res []awsproto.Node
	for i, in := range all {
		if len(ids) > 0 && !slices.Contains(ids, in.ID) {
			continue
		}
		fields := map[string]string{"instance-id": in.ID, "instance-state-name": in.State, "subnet-id": in.SubnetID, "vpc-id": in.VPCID,
			"availability-zone": in.Zone, "private-ip-address": in.PrivateIP, "private-dns-name": in.PrivateDNSName(), "instance-type": in.InstanceType}
		if !matches(fs, fields, in.Tags) {
			continue
		}
		res = append(res, awsproto.El("", awsproto.Tx("reservationId", "r-"+strings.TrimPrefix(in.ID, "i-")), awsproto.Tx("ownerId", in.OwnerID),
			awsproto.El("groupSet"), awsproto.List("instancesSet", "item", []awsproto.Node{instanceNode(&all[i])})))
	}
	return []awsproto.Node{awsproto.List("reservationSet", "item", res)}, nil
}

func (h *Handler) terminateInstances(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "InstanceId")
	if len(ids) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter InstanceId")
	}
	var items []awsproto.Node
	for _, id := range ids {
		prev, in, err := h.EC2.TerminateInstance(r.Context(), id)
		if err != nil {
			return nil, err
		}
		items = append(items, awsproto.El("", awsproto.Tx("instanceId", id), stateNode("currentState", in.State), stateNode("previousState", prev)))
	}
	if h.InstancesChanged != nil {
		h.InstancesChanged()
	}
	return []awsproto.Node{awsproto.List("instancesSet", "item", items)}, nil
}
