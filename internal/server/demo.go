package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/kubeconfig"
)

const (
	demoRoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	demoNodeTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	demoNodegroup = "demo-nodes"
)

// demo makes sure a ready cluster exists for someone who just started keks:
// a cluster role, a cluster in the default VPC's private subnets with a
// managed node group of two nodes, and a kubeconfig context for it,
// reporting progress while it comes up.
type demo struct {
	name, region, profile, keksExe, kubeconfig string
	registry                                   string
	boot                                       *iam.BootstrapCredentials
	iam                                        *iam.Service
	ec2                                        *ec2.Service
	eks                                        *eks.Service
	log                                        *slog.Logger
}

func (d *demo) run(ctx context.Context) error {
	role, err := d.role(ctx, "keks-demo-cluster-role", demoRoleTrust, "AmazonEKSClusterPolicy")
	if err != nil {
		return err
	}
	subnets, err := d.ec2.Subnets(ctx, d.region)
	if err != nil {
		return err
	}
	var private []string
	for _, s := range subnets {
		if !s.MapPublicIP {
			private = append(private, s.ID)
		}
	}
	cl, err := d.eks.GetCluster(ctx, d.region, d.name)
	if err != nil {
		if !notFound(err) {
			return err
		}
		if cl, err = d.eks.CreateCluster(ctx, eks.CreateClusterInput{Name: d.name, RoleARN: role.ARN, SubnetIDs: private, Region: d.region, Account: d.boot.AccountID, CallerARN: d.boot.UserARN}); err != nil {
			return err
		}
		d.log.Info("creating demo cluster", "cluster", d.name, "version", cl.Spec.Version)
	}
	start := time.Now()
	lastReport := time.Time{}
	for cl.Status.Phase != eks.StatusActive {
		if cl.Status.Phase == eks.StatusFailed || cl.Status.Phase == eks.StatusDeleting {
			return fmt.Errorf("demo cluster %s is %s: %s", d.name, cl.Status.Phase, cl.Status.Message)
		}
		if time.Since(lastReport) > 3*time.Second {
			d.log.Info("waiting for demo cluster", "cluster", d.name, "status", cl.Status.Phase, "detail", cl.Status.Message, "elapsed", time.Since(start).Round(time.Second))
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if cl, err = d.eks.GetCluster(ctx, d.region, d.name); err != nil {
			return err
		}
	}
	nodes, err := d.nodegroup(ctx, private)
	if err != nil {
		return err
	}
	ca, err := base64.StdEncoding.DecodeString(cl.Status.CertificateAuthority)
	if err != nil {
		return err
	}
	file, err := kubeconfig.Write(d.kubeconfig, kubeconfig.Entry{ARN: cl.ARN, Endpoint: cl.Status.Endpoint, CAPEM: ca,
		Command: d.keksExe, Args: []string{"get-token", "--cluster-name", d.name, "--profile", d.profile}})
	if err != nil {
		return err
	}
	d.log.Info("demo cluster ready", "cluster", d.name, "endpoint", cl.Status.Endpoint, "nodes", nodes, "kubeconfig", file,
		"try", fmt.Sprintf("kubectl get nodes; kubectl create deployment web --image=%s/keks/hello; aws --profile %s eks describe-cluster --name %s", d.registry, d.profile, d.name))
	return nil
}

// nodegroup makes sure the demo cluster has its node group and waits until
// it is ACTIVE; it returns the number of nodes.
func (d *demo) nodegroup(ctx context.Context, subnets []string) (int, error) {
	// The policies EKS's docs give a node role: nodes pull images as it.
	role, err := d.role(ctx, "keks-demo-node-role", demoNodeTrust, "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy")
	if err != nil {
		return 0, err
	}
	ng, err := d.eks.GetNodegroup(ctx, d.region, d.name, demoNodegroup)
	if err != nil {
		if !notFound(err) {
			return 0, err
		}
		if ng, err = d.eks.CreateNodegroup(ctx, eks.CreateNodegroupInput{ClusterName: d.name, Name: demoNodegroup, Region: d.region, Account: d.boot.AccountID,
			Subnets: subnets, NodeRole: role.ARN, Scaling: &eks.Scaling{Min: 1, Max: 3, Desired: 2}}); err != nil {
			return 0, err
		}
		d.log.Info("creating the demo cluster's node group", "nodegroup", demoNodegroup, "nodes", 2)
	}
	for ng.Status == eks.NodegroupCreating {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if ng, err = d.eks.GetNodegroup(ctx, d.region, d.name, demoNodegroup); err != nil {
			return 0, err
		}
	}
	return ng.Scaling.Desired, nil
}

// role returns an IAM role, creating it with its trust policy and AWS
// managed policy when it is missing.
// role makes sure a demo role exists with the AWS managed policies named
// (attaching one it has changes nothing, so a role an older keks made gets
// those it lacks).
func (d *demo) role(ctx context.Context, name, trust string, policies ...string) (*iam.Role, error) {
	role, err := d.iam.GetRole(ctx, name)
	if err != nil {
		if role, err = d.iam.CreateRole(ctx, iam.Role{Name: name, AssumeRolePolicy: trust, Description: "Role of keks's demo cluster"}); err != nil {
			return nil, err
		}
	}
	for _, p := range policies {
		if err := d.iam.AttachRolePolicy(ctx, role.Name, "arn:aws:iam::aws:policy/"+p); err != nil {
			return nil, err
		}
	}
	return role, nil
}

func notFound(err error) bool {
	var ae *awserr.Error
	return errors.As(err, &ae) && ae.Code == eks.CodeResourceNotFound
}
