package eksctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"sigs.k8s.io/yaml"
)

// Listing is what a `get` command prints: eksctl's table columns and the
// objects behind them for -o json|yaml.
type Listing struct {
	Headers []string
	Rows    [][]string
	Objects any
}

// Print writes a listing as a table, JSON or YAML.
func (l *Listing) Print(w io.Writer, format string) error {
	switch format {
	case "", "table":
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(l.Headers, "\t"))
		for _, r := range l.Rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	case "json":
		b, err := json.MarshalIndent(l.Objects, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "yaml":
		b, err := yaml.Marshal(l.Objects)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("unknown output format %q (valid: table, json, yaml)", format)
}

func timeString(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// GetClusters lists clusters (NAME REGION EKSCTL CREATED), or one in detail.
func (m *Manager) GetClusters(ctx context.Context, name, region string) (*Listing, error) {
	if name != "" {
		cl, err := m.describeCluster(ctx, name)
		if err != nil {
			return nil, err
		}
		vpc := cl.ResourcesVpcConfig
		row := []string{aws.ToString(cl.Name), aws.ToString(cl.Version), string(cl.Status), timeString(cl.CreatedAt), "", "", "", "EKS"}
		if vpc != nil {
			row[4] = aws.ToString(vpc.VpcId)
			row[5] = strings.Join(vpc.SubnetIds, ",")
			row[6] = strings.Join(vpc.SecurityGroupIds, ",")
		}
		return &Listing{Headers: []string{"NAME", "VERSION", "STATUS", "CREATED", "VPC", "SUBNETS", "SECURITYGROUPS", "PROVIDER"}, Rows: [][]string{row}, Objects: []any{cl}}, nil
	}
	names, err := allPages("clusters", func(token *string) ([]string, *string, error) {
		out, err := m.Clients.EKS.ListClusters(ctx, &eks.ListClustersInput{NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return out.Clusters, out.NextToken, nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	l := &Listing{Headers: []string{"NAME", "REGION", "EKSCTL CREATED"}}
	var objs []map[string]string
	for _, n := range names {
		created := "False"
		if st, err := m.stacks().Describe(ctx, ClusterStackName(n)); err == nil && st != nil {
			created = "True"
		}
		l.Rows = append(l.Rows, []string{n, region, created})
		objs = append(objs, map[string]string{"Name": n, "Region": region, "EksctlCreated": created})
	}
	l.Objects = objs
	return l, nil
}

// GetNodeGroups lists a cluster's node groups in eksctl's columns.
func (m *Manager) GetNodeGroups(ctx context.Context, cluster, name string) (*Listing, error) {
	names, err := namedOrAll(name, func() ([]string, error) { return m.listNodegroups(ctx, cluster) })
	if err != nil {
		return nil, err
	}
	return describeEach([]string{"CLUSTER", "NODEGROUP", "STATUS", "CREATED", "MIN SIZE", "MAX SIZE", "DESIRED CAPACITY", "INSTANCE TYPE", "IMAGE ID", "ASG NAME", "TYPE"}, names, func(n string) ([][]string, any, error) {
		out, err := m.Clients.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(n)})
		if err != nil {
			return nil, nil, fmt.Errorf("describing nodegroup %q: %w", n, err)
		}
		ng := out.Nodegroup
		var minS, maxS, desired string
		if sc := ng.ScalingConfig; sc != nil {
			minS, maxS, desired = itoa(sc.MinSize), itoa(sc.MaxSize), itoa(sc.DesiredSize)
		}
		asg := ""
		if ng.Resources != nil {
			for _, g := range ng.Resources.AutoScalingGroups {
				asg = aws.ToString(g.Name)
			}
		}
		return [][]string{{cluster, n, string(ng.Status), timeString(ng.CreatedAt), minS, maxS, desired, strings.Join(ng.InstanceTypes, ","), string(ng.AmiType), asg, "managed"}}, ng, nil
	})
}

// describeEach fills a listing by describing each name in turn: describe
// gives the rows a name shows as and the object JSON and YAML print.
func describeEach(headers, names []string, describe func(name string) (rows [][]string, obj any, err error)) (*Listing, error) {
	l := &Listing{Headers: headers}
	var objs []any
	for _, n := range names {
		rows, obj, err := describe(n)
		if err != nil {
			return nil, err
		}
		l.Rows = append(l.Rows, rows...)
		objs = append(objs, obj)
	}
	l.Objects = objs
	return l, nil
}

func itoa(p *int32) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(int(*p))
}

// GetFargateProfiles lists a cluster's Fargate profiles.
func (m *Manager) GetFargateProfiles(ctx context.Context, cluster, name string) (*Listing, error) {
	names, err := namedOrAll(name, func() ([]string, error) { return m.listFargateProfiles(ctx, cluster) })
	if err != nil {
		return nil, err
	}
	return describeEach([]string{"NAME", "SELECTOR_NAMESPACE", "SELECTOR_LABELS", "POD_EXECUTION_ROLE_ARN", "SUBNETS", "TAGS", "STATUS"}, names, func(n string) ([][]string, any, error) {
		out, err := m.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(n)})
		if err != nil {
			return nil, nil, fmt.Errorf("describing Fargate profile %q: %w", n, err)
		}
		fp := out.FargateProfile
		var rows [][]string
		for _, s := range fp.Selectors {
			rows = append(rows, []string{n, aws.ToString(s.Namespace), mapString(s.Labels), aws.ToString(fp.PodExecutionRoleArn), strings.Join(fp.Subnets, ","), mapString(fp.Tags), string(fp.Status)})
		}
		return rows, fp, nil
	})
}

func mapString(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// GetAddons lists a cluster's add-ons.
func (m *Manager) GetAddons(ctx context.Context, cluster, name string) (*Listing, error) {
	names, err := namedOrAll(name, func() ([]string, error) { return m.listAddons(ctx, cluster) })
	if err != nil {
		return nil, err
	}
	return describeEach([]string{"NAME", "VERSION", "STATUS", "ISSUES", "IAMROLE", "UPDATE AVAILABLE", "CONFIGURATION VALUES"}, names, func(n string) ([][]string, any, error) {
		out, err := m.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(n)})
		if err != nil {
			return nil, nil, fmt.Errorf("describing addon %q: %w", n, err)
		}
		a := out.Addon
		issues := 0
		if a.Health != nil {
			issues = len(a.Health.Issues)
		}
		return [][]string{{n, aws.ToString(a.AddonVersion), string(a.Status), strconv.Itoa(issues), aws.ToString(a.ServiceAccountRoleArn), "", aws.ToString(a.ConfigurationValues)}}, a, nil
	})
}

// GetServiceAccounts lists the IAM service accounts eksctl made for a cluster.
func (m *Manager) GetServiceAccounts(ctx context.Context, cluster, namespace, name string) (*Listing, error) {
	stacks, err := m.stacks().ListClusterStacks(ctx, cluster)
	if err != nil {
		return nil, err
	}
	l := &Listing{Headers: []string{"NAMESPACE", "NAME", "ROLE ARN"}}
	var objs []map[string]string
	for _, st := range stacks {
		if kind, _ := stackKind(cluster, aws.ToString(st.StackName)); kind != "iamserviceaccount" {
			continue
		}
		ns, n, _ := strings.Cut(tagValue(st.Tags, TagServiceAccount), "/")
		if (namespace != "" && ns != namespace) || (name != "" && n != name) {
			continue
		}
		role := Outputs(&st)[ServiceAccountRoleOutput]
		l.Rows = append(l.Rows, []string{ns, n, role})
		objs = append(objs, map[string]string{"namespace": ns, "name": n, "roleARN": role})
	}
	l.Objects = objs
	return l, nil
}
