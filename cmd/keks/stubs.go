package main

import "github.com/spf13/cobra"

func newServerCommand() *cobra.Command           { return &cobra.Command{Use: "server"} }
func newUpdateKubeconfigCommand() *cobra.Command { return &cobra.Command{Use: "update-kubeconfig"} }
func newGetTokenCommand() *cobra.Command         { return &cobra.Command{Use: "get-token"} }
func newInstancesCommand() *cobra.Command        { return &cobra.Command{Use: "instances"} }
func newLBCommand() *cobra.Command               { return &cobra.Command{Use: "lb"} }
func newVersionCommand() *cobra.Command          { return &cobra.Command{Use: "version"} }
