// Package cgroups finds how the host mounts its cgroups (v1, hybrid or the
// unified v2 hierarchy) and makes, sizes and removes an instance's cgroup
// the way that mode needs. The filesystem root is a parameter, so tests run
// every mode against a tree in a temporary directory.
package cgroups
