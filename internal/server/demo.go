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

const demoRoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// demo makes sure a ready cluster exists for someone who just started keks:
// a cluster role, a cluster in the default VPC's private subnets, and a
// kubeconfig context for it, reporting progress while it comes up.
type demo struct {
	name, region, profile, keksExe, kubeconfig string
	boot                                       *iam.BootstrapCredentials
	iam                                        *iam.Service
	ec2                                        *ec2.Service
	eks                                        *eks.Service
	log                                        *slog.Logger
}

func (d *demo) run(ctx context.Context) error {
	role, err := d.iam.GetRole(ctx, "keks-demo-cluster-role")
	if err != nil {
		if role, err = d.iam.CreateRole(ctx, iam.Role{Name: "keks-demo-cluster-role", AssumeRolePolicy: demoRoleTrust, Description: "Cluster role of keks's demo cluster"}); err != nil {
			return err
		}
		if err := d.iam.AttachRolePolicy(ctx, role.Name, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"); err != nil {
			return err
		}
	}
	cl, err := d.eks.GetCluster(ctx, d.region, d.name)
	if err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code != eks.CodeResourceNotFound {
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
	ca, err := base64.StdEncoding.DecodeString(cl.Status.CertificateAuthority)
	if err != nil {
		return err
	}
	file, err := kubeconfig.Write(d.kubeconfig, kubeconfig.Entry{ARN: cl.ARN, Endpoint: cl.Status.Endpoint, CAPEM: ca,
		Command: d.keksExe, Args: []string{"get-token", "--cluster-name", d.name, "--profile", d.profile}})
	if err != nil {
		return err
	}
	d.log.Info("demo cluster ready", "cluster", d.name, "endpoint", cl.Status.Endpoint, "kubeconfig", file,
		"try", fmt.Sprintf("kubectl get --raw /readyz; aws --profile %s eks describe-cluster --name %s", d.profile, d.name))
	return nil
}
