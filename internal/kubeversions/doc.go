// Package kubeversions is the catalogue of Kubernetes versions keks offers:
// the patch release it builds for each minor version and that version's
// EKS-style support calendar.
package kubeversions
