package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "keks",
		Short:         "Amazon EKS as software you run: the EKS API and real Kubernetes clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServerCommand(),
		newBuildKubernetesCommand(),
		newUpdateKubeconfigCommand(),
		newGetTokenCommand(),
		newInstancesCommand(),
		newAgentTokenCommand(),
		newHostsCommand(),
		newAgentCommand(),
		newJoinCommand(),
		newLBCommand(),
		newAuthenticatorCommand(),
		newKMSPluginCommand(),
		newEtcdMemberCommand(),
		newCredentialProviderCommand(),
		newConformanceCommand(),
		newVersionCommand(),
	)
	// eksctl's verbs: create, get, delete, scale, upgrade, utils.
	root.AddCommand(eksctlCommands()...)
	return root
}

// defaultK8sDir is _output/k8s next to _output/bin/keks, where `make build` puts builds.
func defaultK8sDir() string {
	exe, err := os.Executable()
	if err != nil {
		return "_output/k8s"
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "k8s")
}
