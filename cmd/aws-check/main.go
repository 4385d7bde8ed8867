// aws-check is the program of keks's client image (keks/aws-check): it
// shows which AWS identity a pod's SDK finds (IRSA, Pod Identity, the
// node's instance profile...) and makes one call as it, with the same
// default credential chain and settings (AWS_ENDPOINT_URL, AWS_CA_BUNDLE)
// any aws-sdk-go-v2 program uses.
//
//	aws-check                               who am I (sts get-caller-identity)
//	aws-check eks list-clusters             one call, printed as JSON
//	aws-check eks describe-cluster NAME
//	aws-check iam list-roles
//	aws-check ecr describe-repositories
//	aws-check kms list-keys
//	aws-check ec2 describe-instances
//
// A refused call prints the AWS error code and exits 2; other failures exit 1.
// On success, stderr says how long credentials and the call took.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// operation makes one call with the arguments after its name.
type operation func(ctx context.Context, cfg aws.Config, args []string) (any, error)

var operations = map[string]operation{
	"sts get-caller-identity": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	},
	"eks list-clusters": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return eks.NewFromConfig(cfg).ListClusters(ctx, &eks.ListClustersInput{})
	},
	"eks describe-cluster": func(ctx context.Context, cfg aws.Config, args []string) (any, error) {
		if len(args) != 1 {
			return nil, errors.New("usage: aws-check eks describe-cluster NAME")
		}
		return eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: &args[0]})
	},
	"iam list-roles": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
	},
	"ecr describe-repositories": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	},
	"kms list-keys": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
	},
	"ec2 describe-instances": func(ctx context.Context, cfg aws.Config, _ []string) (any, error) {
		return ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	},
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name, rest := "sts get-caller-identity", args
	if len(args) >= 2 {
		name, rest = args[0]+" "+args[1], args[2:]
	} else if len(args) == 1 {
		name = args[0]
	}
	op, ok := operations[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "aws-check: unknown operation %q; one of:\n  %s\n", name, strings.Join(names(), "\n  "))
		return 1
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws-check: load the AWS configuration:", err)
		return 1
	}
	out, err := op(ctx, cfg, rest)
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			fmt.Fprintf(os.Stderr, "aws-check: %s: %s: %s\n", name, apiErr.ErrorCode(), apiErr.ErrorMessage())
			fmt.Println(apiErr.ErrorCode())
			return 2
		}
		fmt.Fprintf(os.Stderr, "aws-check: %s: %v\n", name, err)
		return 1
	}
	fmt.Println(asJSON(out))
	// How long finding credentials and the call took, on stderr: the
	// identity benchmark reads it.
	fmt.Fprintf(os.Stderr, "aws-check: %s answered in %s\n", name, time.Since(start).Round(time.Millisecond))
	return 0
}

func names() []string {
	var out []string
	for n := range operations {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// asJSON prints an output as the AWS CLI would, without the SDK's
// response metadata.
func asJSON(out any) string {
	data, _ := json.Marshal(out)
	var fields map[string]any
	if json.Unmarshal(data, &fields) == nil {
		delete(fields, "ResultMetadata")
		data, _ = json.Marshal(fields)
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, data, "", "  ")
	return pretty.String()
}
