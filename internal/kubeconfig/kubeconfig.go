// Package kubeconfig merges a cluster entry into a kubeconfig file the way
// `aws eks update-kubeconfig` does, and removes it again: cluster, user and
// context named after the cluster ARN, with an exec plugin that makes EKS
// tokens.
package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Entry is one cluster to write.
type Entry struct {
	ARN      string
	Endpoint string
	CAPEM    []byte
	Alias    string // context name; the ARN if empty
	Command  string
	Args     []string
	Env      map[string]string
}

// Write merges e into path ($KUBECONFIG or ~/.kube/config when empty),
// makes it the current context and returns the file written.
func Write(path string, e Entry) (string, error) {
	rules, cfg, err := load(path)
	if err != nil {
		return "", err
	}
	name := e.Alias
	if name == "" {
		name = e.ARN
	}
	var env []clientcmdapi.ExecEnvVar
	for k, v := range e.Env {
		env = append(env, clientcmdapi.ExecEnvVar{Name: k, Value: v})
	}
	cfg.Clusters[e.ARN] = &clientcmdapi.Cluster{Server: e.Endpoint, CertificateAuthorityData: e.CAPEM}
	cfg.AuthInfos[e.ARN] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: e.Command, Args: e.Args, Env: env,
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
	}}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: e.ARN, AuthInfo: e.ARN}
	cfg.CurrentContext = name
	file := rules.GetDefaultFilename()
	if path != "" {
		file = path
	}
	if err := clientcmd.ModifyConfig(rules, *cfg, false); err != nil {
		return "", fmt.Errorf("write %s: %w", file, err)
	}
	return file, nil
}

// Remove drops what Write wrote for a cluster (named by its ARN): its
// cluster, user and contexts, and the current context if it was one of
// them. It reports whether there was anything to remove.
func Remove(path, clusterARN string) (bool, error) {
	rules, cfg, err := load(path)
	if err != nil {
		return false, err
	}
	_, hadCluster := cfg.Clusters[clusterARN]
	_, hadUser := cfg.AuthInfos[clusterARN]
	removed := hadCluster || hadUser
	delete(cfg.Clusters, clusterARN)
	delete(cfg.AuthInfos, clusterARN)
	for name, c := range cfg.Contexts {
		if c.Cluster == clusterARN {
			delete(cfg.Contexts, name)
			removed = true
			if cfg.CurrentContext == name {
				cfg.CurrentContext = ""
			}
		}
	}
	if !removed {
		return false, nil
	}
	return true, clientcmd.ModifyConfig(rules, *cfg, false)
}

// load reads path ($KUBECONFIG or ~/.kube/config when empty) with the
// rules that write it back to the same file.
func load(path string) (*clientcmd.ClientConfigLoadingRules, *clientcmdapi.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cfg, err := rules.GetStartingConfig()
	return rules, cfg, err
}
