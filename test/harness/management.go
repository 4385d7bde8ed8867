package harness

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Management is a keks cluster made ready to be the management cluster of
// another keks (its --control-plane-runtime=kubernetes): nodes in three
// zones, the EBS CSI driver with gp3 as the default class, an ECR
// repository for the control-plane images with a Docker config that logs
// in to it, and a kubeconfig of a cluster-admin service account.
type Management struct {
	Cluster string
	// ServerArgs are the flags of a keks server whose control planes run there.
	ServerArgs []string
	// DockerConfig is the directory to set DOCKER_CONFIG to for that server.
	DockerConfig string
}

// NewManagement makes cluster a management cluster, with nodes of instanceType.
func (e *Env) NewManagement(cluster, instanceType string) *Management {
	e.t.Helper()
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole(cluster+"Cluster"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRole := e.NodeRole(cluster + "Nodes")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", cluster)
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)
	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "hosts", "--node-role", nodeRole,
		"--scaling-config", "minSize=3,maxSize=3,desiredSize=3", "--instance-types", instanceType, "--subnets"}, e.PrivateSubnets()...)...)
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver", "--service-account-role-arn", e.EBSCSIRole(cluster))
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", cluster, "--nodegroup-name", "hosts")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver")
	e.Run("kubectl", "annotate", "storageclass", "gp3", "storageclass.kubernetes.io/is-default-class=true", "--overwrite")

	// The other keks pushes its control-plane images to this one's ECR
	// and runs them with a service account of the cluster, as an operator would.
	repo := strings.TrimSpace(e.Run("aws", "ecr", "create-repository", "--repository-name", "keks/control-plane", "--query", "repository.repositoryUri", "--output", "text"))
	password := strings.TrimSpace(e.Run("aws", "ecr", "get-login-password"))
	docker := filepath.Join(e.Dir, "management-docker")
	auths := map[string]any{"auths": map[string]any{strings.SplitN(repo, "/", 2)[0]: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("AWS:" + password))}}}
	data, _ := json.Marshal(auths)
	if err := os.MkdirAll(docker, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docker, "config.json"), data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.Run("kubectl", "-n", "kube-system", "create", "serviceaccount", "keks-management")
	e.Run("kubectl", "create", "clusterrolebinding", "keks-management", "--clusterrole=cluster-admin", "--serviceaccount=kube-system:keks-management")
	token := strings.TrimSpace(e.Run("kubectl", "-n", "kube-system", "create", "token", "keks-management", "--duration=24h"))
	endpoint := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.endpoint", "--output", "text"))
	ca := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.certificateAuthority.data", "--output", "text"))
	kubeconfig := filepath.Join(e.Dir, "management.kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: management, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: keks, user: {token: %q}}]
contexts: [{name: management, context: {cluster: management, user: keks}}]
current-context: management
`, endpoint, ca, token)), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return &Management{Cluster: cluster, DockerConfig: docker, ServerArgs: []string{"--control-plane-runtime=kubernetes", "--management-kubeconfig=" + kubeconfig,
		"--control-plane-images=" + repo, "--control-plane-images-ca=" + filepath.Join(e.Dir, "data", "pki", "ca.crt")}}
}

// HostedNamespaces are the namespaces another keks made in this management cluster.
func (e *Env) HostedNamespaces() []string {
	e.t.Helper()
	return strings.Fields(e.Run("kubectl", "get", "namespaces", "-l", "app.kubernetes.io/managed-by=keks", "-o", "jsonpath={.items[*].metadata.name}"))
}

// PodProcesses are the processes on this host of the pods with these UIDs
// (found by their cgroups).
func PodProcesses(podUIDs []string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cgroup")
	for _, f := range procs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, u := range podUIDs {
			if strings.Contains(string(data), "pod"+u) || strings.Contains(string(data), "pod"+strings.ReplaceAll(u, "-", "_")) {
				if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
					pids = append(pids, pid)
				}
				break
			}
		}
	}
	return pids
}

// EBSCSIRole makes the EBS CSI driver's IAM role for a cluster, trusting
// its OIDC provider (made when missing) for the controller's service
// account, with AWS's policy for the driver, and returns its ARN.
func (e *Env) EBSCSIRole(cluster string) string {
	e.t.Helper()
	role := e.IRSARole(cluster, "kube-system", "ebs-csi-controller-sa", "AmazonEKS_EBS_CSI_DriverRole")
	e.Run("aws", "iam", "attach-role-policy", "--role-name", "AmazonEKS_EBS_CSI_DriverRole", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy")
	return role
}

// IRSARole makes a role that one service account of the cluster assumes
// with its token (IAM roles for service accounts), registering the
// cluster's issuer as an OIDC provider first when it is not one yet.
func (e *Env) IRSARole(cluster, namespace, serviceAccount, roleName string) string {
	e.t.Helper()
	issuer := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.identity.oidc.issuer", "--output", "text"))
	host := strings.TrimPrefix(issuer, "https://")
	provider := ""
	for _, arn := range strings.Fields(e.Run("aws", "iam", "list-open-id-connect-providers", "--query", "OpenIDConnectProviderList[].Arn", "--output", "text")) {
		if strings.HasSuffix(arn, "/"+host) {
			provider = arn
		}
	}
	if provider == "" {
		provider = strings.TrimSpace(e.Run("aws", "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com",
			"--query", "OpenIDConnectProviderArn", "--output", "text"))
	}
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity",`+
		`"Condition":{"StringEquals":{%q:%q,%q:"sts.amazonaws.com"}}}]}`, provider, host+":sub", "system:serviceaccount:"+namespace+":"+serviceAccount, host+":aud")
	return strings.TrimSpace(e.Run("aws", "iam", "create-role", "--role-name", roleName, "--assume-role-policy-document", trust,
		"--query", "Role.Arn", "--output", "text"))
}
