package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/client"
)

// newJoinCommand starts a self-managed node: EC2 RunInstances with the EKS
// bootstrap user data, the way a self-managed node group's launch template
// does, then waits for the instance to run.
func newJoinCommand() *cobra.Command {
	var profile, cluster, subnet, instanceType, role string
	var count int32
	cmd := &cobra.Command{
		Use:   "join --cluster NAME --instance-profile ROLE",
		Short: "Start self-managed nodes for a cluster (EC2 RunInstances with /etc/eks/bootstrap.sh user data)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" || role == "" {
				return fmt.Errorf("--cluster and --instance-profile are required")
			}
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if subnet == "" {
				out, err := eks.NewFromConfig(c.Config).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
				if err != nil {
					return err
				}
				if len(out.Cluster.ResourcesVpcConfig.SubnetIds) == 0 {
					return fmt.Errorf("cluster %s has no subnets; give --subnet-id", cluster)
				}
				subnet = out.Cluster.ResourcesVpcConfig.SubnetIds[0]
			}
			userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\n/etc/eks/bootstrap.sh " + cluster + "\n"))
			api := ec2.NewFromConfig(c.Config)
			run, err := api.RunInstances(ctx, &ec2.RunInstancesInput{
				ImageId: aws.String("ami-keks"), InstanceType: ec2types.InstanceType(instanceType), SubnetId: aws.String(subnet),
				MinCount: aws.Int32(count), MaxCount: aws.Int32(count), UserData: aws.String(userData),
				IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String(role)},
			})
			if err != nil {
				return err
			}
			var ids []string
			for _, in := range run.Instances {
				ids = append(ids, aws.ToString(in.InstanceId))
				fmt.Printf("%s\t%s\t%s\n", aws.ToString(in.InstanceId), aws.ToString(in.PrivateDnsName), aws.ToString(in.Placement.AvailabilityZone))
			}
			fmt.Fprintf(os.Stderr, "waiting for %d instance(s) to run and their kubelets to start\n", len(ids))
			deadline := time.Now().Add(2 * time.Minute)
			for time.Now().Before(deadline) {
				out, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
				if err != nil {
					return err
				}
				running := 0
				for _, r := range out.Reservations {
					for _, in := range r.Instances {
						if in.State.Name == ec2types.InstanceStateNameRunning {
							running++
						}
					}
				}
				if running == len(ids) {
					fmt.Fprintf(os.Stderr, "running; `kubectl get nodes` shows them Ready within seconds\n")
					return nil
				}
				time.Sleep(500 * time.Millisecond)
			}
			return fmt.Errorf("instances %v not running after 2 minutes; see `aws ec2 describe-instances`", ids)
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile written by keks server")
	cmd.Flags().StringVar(&cluster, "cluster", "", "cluster the nodes join")
	cmd.Flags().StringVar(&role, "instance-profile", "", "instance profile (role name) the nodes authenticate with")
	cmd.Flags().StringVar(&subnet, "subnet-id", "", "subnet (default: the cluster's first)")
	cmd.Flags().StringVar(&instanceType, "instance-type", "t3.medium", "instance type")
	cmd.Flags().Int32Var(&count, "count", 1, "how many nodes")
	return cmd
}
