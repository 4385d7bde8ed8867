package ec2api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// launchDataPrefix is where a request carries a template's launch parameters.
const launchDataPrefix = "LaunchTemplateData."

// maxVersionDescription is EC2's limit on a version's description.
const maxVersionDescription = 255

// templateTaggable are the resource types a template's own TagSpecifications
// may tag at launch.
var templateTaggable = []string{"instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"}

// launchData reads LaunchTemplateData.* as RunInstances names the same
// parameters, checking what EC2 checks when the template is made.
func launchData(c *awsproto.Call) (map[string]string, error) {
	data := map[string]string{}
	for k, v := range c.Form {
		if rest, ok := strings.CutPrefix(k, launchDataPrefix); ok && rest != "" {
			data[rest] = v[0]
		}
	}
	if ud, ok := data["UserData"]; ok {
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid BASE64 encoding of user data.")
		}
		if len(b) > maxUserData {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "User data is limited to %d bytes", maxUserData)
		}
	}
	if t, ok := data["InstanceType"]; ok {
		if _, known := ec2.InstanceTypes[t]; !known {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "The instance type '%s' does not exist", t)
		}
	}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("TagSpecification.%d.", i)
		typ, named := data[prefix+"ResourceType"]
		tags := map[string]string{}
		for j := 1; ; j++ {
			k, ok := data[fmt.Sprintf("%sTag.%d.Key", prefix, j)]
			if !ok {
				break
			}
			tags[k] = data[fmt.Sprintf("%sTag.%d.Value", prefix, j)]
		}
		if !named && len(tags) == 0 {
			break
		}
		if !slices.Contains(templateTaggable, typ) {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", typ)
		}
		if err := ec2.ValidateTags(tags); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// templateRef reads the template a call names: LaunchTemplateId or
// LaunchTemplateName, after prefix.
func templateRef(c *awsproto.Call, prefix string) (id, name string) {
	return c.Form.Get(prefix + "LaunchTemplateId"), c.Form.Get(prefix + "LaunchTemplateName")
}

func versionDescription(c *awsproto.Call) (string, error) {
	d := c.Form.Get("VersionDescription")
	if len(d) > maxVersionDescription {
		return "", awserr.Errorf(ec2.CodeInvalidParameterValue, "Value for parameter versionDescription is invalid. Length exceeds maximum of %d.", maxVersionDescription)
	}
	return d, nil
}

func launchTemplateNode(name string, lt *ec2.LaunchTemplate) awsproto.Node {
	return awsproto.El(name, awsproto.Tx("launchTemplateId", lt.ID), awsproto.Tx("launchTemplateName", lt.Name),
		awsproto.Tx("createTime", imageTime(lt.CreateTime)), awsproto.Tx("createdBy", lt.CreatedBy),
		awsproto.Tx("defaultVersionNumber", strconv.FormatInt(lt.DefaultVersion, 10)),
		awsproto.Tx("latestVersionNumber", strconv.FormatInt(lt.LatestVersion, 10)), tagSet(lt.Tags))
}

func launchTemplateVersionNode(name string, lt *ec2.LaunchTemplate, v *ec2.LaunchTemplateVersion) awsproto.Node {
	n := awsproto.El(name, awsproto.Tx("launchTemplateId", lt.ID), awsproto.Tx("launchTemplateName", lt.Name),
		awsproto.Tx("versionNumber", strconv.FormatInt(v.Number, 10)), awsproto.Tx("createTime", imageTime(v.CreateTime)),
		awsproto.Tx("createdBy", v.CreatedBy), awsproto.Bool("defaultVersion", v.Number == lt.DefaultVersion),
		launchDataNode("launchTemplateData", v.Data))
	if v.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("versionDescription", v.Description))
	}
	return n
}

func (h *Handler) createLaunchTemplate(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	name, err := required(c, "LaunchTemplateName", "LaunchTemplateName")
	if err != nil {
		return nil, err
	}
	if err := ec2.ValidateLaunchTemplateName(name); err != nil {
		return nil, err
	}
	data, err := launchData(c)
	if err != nil {
		return nil, err
	}
	desc, err := versionDescription(c)
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "launch-template")
	if err != nil {
		return nil, err
	}
	lt, err := h.EC2.CreateLaunchTemplate(r.Context(), ec2.LaunchTemplate{Region: c.Region, Name: name, OwnerID: c.Principal.Account,
		CreatedBy: c.Principal.ARN, Tags: tags}, ec2.LaunchTemplateVersion{Description: desc, Data: data})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{launchTemplateNode("launchTemplate", lt)}, nil
}

func (h *Handler) createLaunchTemplateVersion(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, name := templateRef(c, "")
	data, err := launchData(c)
	if err != nil {
		return nil, err
	}
	desc, err := versionDescription(c)
	if err != nil {
		return nil, err
	}
	lt, v, err := h.EC2.CreateLaunchTemplateVersion(r.Context(), c.Region, id, name, c.Form.Get("SourceVersion"), c.Principal.ARN,
		ec2.LaunchTemplateVersion{Description: desc, Data: data})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{launchTemplateVersionNode("launchTemplateVersion", lt, v)}, nil
}

func (h *Handler) modifyLaunchTemplate(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, name := templateRef(c, "")
	version := c.Form.Get("SetDefaultVersion")
	if version == "" {
		lt, err := h.EC2.FindLaunchTemplate(r.Context(), c.Region, id, name)
		if err != nil {
			return nil, err
		}
		return []awsproto.Node{launchTemplateNode("launchTemplate", lt)}, nil
	}
	lt, err := h.EC2.SetDefaultLaunchTemplateVersion(r.Context(), c.Region, id, name, version)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{launchTemplateNode("launchTemplate", lt)}, nil
}

func (h *Handler) deleteLaunchTemplate(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, name := templateRef(c, "")
	lt, err := h.EC2.DeleteLaunchTemplate(r.Context(), c.Region, id, name)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{launchTemplateNode("launchTemplate", lt)}, nil
}

func (h *Handler) describeLaunchTemplates(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeLaunchTemplates", true)
	if err != nil {
		return nil, err
	}
	ids, names := listParam(c, "LaunchTemplateId"), listParam(c, "LaunchTemplateName")
	pg, err := pageParams(c, "LaunchTemplateId", "launchTemplateIds")
	if err != nil {
		return nil, err
	}
	if pg.max > 0 && len(names) > 0 {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterCombo, "The parameter launchTemplateNames cannot be used with the parameter maxResults")
	}
	all, err := h.EC2.LaunchTemplates(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "lt-") {
			return nil, awserr.Errorf(ec2.CodeLaunchTemplateIDMalformed, "The specified ID for the launch template ID is not valid.")
		}
		if !slices.ContainsFunc(all, func(lt ec2.LaunchTemplate) bool { return lt.ID == id }) {
			return nil, awserr.Errorf(ec2.CodeLaunchTemplateIDNotFound, "At least one of the launch templates specified in the request does not exist.")
		}
	}
	for _, name := range names {
		if !slices.ContainsFunc(all, func(lt ec2.LaunchTemplate) bool { return lt.Name == name }) {
			return nil, awserr.Errorf(ec2.CodeLaunchTemplateNameNotFound, "At least one of the launch templates specified in the request does not exist.")
		}
	}
	var found []ec2.LaunchTemplate
	for _, lt := range all {
		if (len(ids) > 0 || len(names) > 0) && !slices.Contains(ids, lt.ID) && !slices.Contains(names, lt.Name) {
			continue
		}
		fields := map[string]string{"launch-template-name": lt.Name, "launch-template-id": lt.ID, "create-time": imageTime(lt.CreateTime)}
		if matches(fs, fields, lt.Tags) {
			found = append(found, lt)
		}
	}
	found, next := page(found, func(lt ec2.LaunchTemplate) string { return lt.ID }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for i := range found {
		out = append(out, launchTemplateNode("", &found[i]))
	}
	return append([]awsproto.Node{awsproto.List("launchTemplates", "item", out)}, nextToken(next)...), nil
}

// templateVersion is one version with its template, as DescribeLaunchTemplateVersions lists them.
type templateVersion struct {
	lt *ec2.LaunchTemplate
	v  *ec2.LaunchTemplateVersion
}

func (h *Handler) describeLaunchTemplateVersions(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeLaunchTemplateVersions", false)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	versions := listParam(c, "LaunchTemplateVersion")
	bound := func(p string) (int64, error) {
		v := c.Form.Get(p)
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return 0, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid.", v, awsproto.MemberName(p))
		}
		return n, nil
	}
	minV, err := bound("MinVersion")
	if err != nil {
		return nil, err
	}
	maxV, err := bound("MaxVersion")
	if err != nil {
		return nil, err
	}
	var templates []ec2.LaunchTemplate
	if id, name := templateRef(c, ""); id != "" || name != "" {
		lt, err := h.EC2.FindLaunchTemplate(r.Context(), c.Region, id, name)
		if err != nil {
			return nil, err
		}
		templates = []ec2.LaunchTemplate{*lt}
	} else {
		// Without a template, EC2 answers only $Latest or $Default of each.
		for _, v := range versions {
			if v != "$Latest" && v != "$Default" {
				return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "A launch template ID or name is required when specifying version %s.", v)
			}
		}
		if len(versions) == 0 {
			return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter launchTemplateName or launchTemplateId")
		}
		if templates, err = h.EC2.LaunchTemplates(r.Context(), c.Region); err != nil {
			return nil, err
		}
	}
	var found []templateVersion
	for i := range templates {
		lt := &templates[i]
		var picked []*ec2.LaunchTemplateVersion
		if len(versions) > 0 {
			for _, want := range versions {
				v, err := lt.Version(want)
				if err != nil {
					return nil, err
				}
				if !slices.Contains(picked, v) {
					picked = append(picked, v)
				}
			}
		} else {
			for j := range lt.Versions {
				picked = append(picked, &lt.Versions[j])
			}
		}
		for _, v := range picked {
			if (minV > 0 && v.Number < minV) || (maxV > 0 && v.Number > maxV) {
				continue
			}
			fields := map[string]string{"image-id": v.Data["ImageId"], "instance-type": v.Data["InstanceType"],
				"is-default-version": strconv.FormatBool(v.Number == lt.DefaultVersion), "create-time": imageTime(v.CreateTime),
				"iam-instance-profile": v.Data["IamInstanceProfile.Arn"] + v.Data["IamInstanceProfile.Name"],
				"ebs-optimized":        v.Data["EbsOptimized"], "kernel-id": v.Data["KernelId"], "ram-disk-id": v.Data["RamDiskId"]}
			if matches(fs, fields, nil) {
				found = append(found, templateVersion{lt, v})
			}
		}
	}
	found, next := page(found, func(t templateVersion) string { return fmt.Sprintf("%s/%012d", t.lt.ID, t.v.Number) }, pg)
	out := make([]awsproto.Node, 0, len(found))
	for _, t := range found {
		out = append(out, launchTemplateVersionNode("", t.lt, t.v))
	}
	return append([]awsproto.Node{awsproto.List("launchTemplateVersionSet", "item", out)}, nextToken(next)...), nil
}

// launchDataSets are the XML names of the lists of a template's data,
// where EC2's answer does not simply add "Set" to the parameter's name.
var launchDataSets = map[string]string{
	"NetworkInterface.SecurityGroupId": "groupSet",
	"ElasticGpuSpecification":          "elasticGpuSpecificationSet",
	"LicenseSpecification":             "licenseSet",
	"PrivateIpAddresses":               "privateIpAddressesSet",
	"Ipv6Addresses":                    "ipv6AddressesSet",
}

// launchDataLeaf names the XML items of a list of strings.
var launchDataLeaf = map[string]string{"NetworkInterface.SecurityGroupId": "groupId"}

// launchDataNode renders a template's parameters (RunInstances' wire
// names, "SecurityGroupId.1") as EC2's ResponseLaunchTemplateData.
func launchDataNode(name string, data map[string]string) awsproto.Node {
	root := &dataTree{}
	for k, v := range data {
		root.put(strings.Split(k, "."), v)
	}
	return root.node(name, "")
}

// dataTree is the parameters under one wire name: a value, named fields,
// or (for Name.N) numbered items.
type dataTree struct {
	value  string
	leaf   bool
	fields map[string]*dataTree
	items  map[int]*dataTree
}

func (t *dataTree) put(path []string, v string) {
	if len(path) == 0 {
		t.value, t.leaf = v, true
		return
	}
	if n, err := strconv.Atoi(path[0]); err == nil {
		if t.items == nil {
			t.items = map[int]*dataTree{}
		}
		if t.items[n] == nil {
			t.items[n] = &dataTree{}
		}
		t.items[n].put(path[1:], v)
		return
	}
	if t.fields == nil {
		t.fields = map[string]*dataTree{}
	}
	if t.fields[path[0]] == nil {
		t.fields[path[0]] = &dataTree{}
	}
	t.fields[path[0]].put(path[1:], v)
}

// node renders t as the element name; where is the parameter's path
// without its list numbers ("NetworkInterface.SecurityGroupId").
func (t *dataTree) node(name, where string) awsproto.Node {
	if t.leaf {
		return awsproto.Tx(name, t.value)
	}
	if t.items != nil {
		nums := make([]int, 0, len(t.items))
		for n := range t.items {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		var kids []awsproto.Node
		for _, n := range nums {
			it := t.items[n]
			if it.leaf {
				kids = append(kids, awsproto.Tx("", it.value))
			} else {
				kids = append(kids, it.node("", where))
			}
		}
		return awsproto.List(name, "item", kids)
	}
	keys := make([]string, 0, len(t.fields))
	for k := range t.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := awsproto.El(name)
	for _, k := range keys {
		path := strings.TrimPrefix(where+"."+k, ".")
		kid := t.fields[k]
		elem := awsproto.MemberName(k)
		if kid.items != nil {
			elem = awsproto.MemberName(k) + "Set"
			if set, ok := launchDataSets[path]; ok {
				elem = set
			}
			if k == "Tag" {
				elem = "tagSet"
			}
		}
		rendered := kid.node(elem, path)
		if leafName, ok := launchDataLeaf[path]; ok && kid.items != nil {
			for i := range rendered.Kids {
				rendered.Kids[i].Name = leafName
			}
		}
		n.Kids = append(n.Kids, rendered)
	}
	return n
}
