package cplogs

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
)

// logType is one of EKS's control-plane log types and where its lines are.
type logType struct {
	name   string // EKS's name: api, audit, authenticator, controllerManager, scheduler
	file   string // the file's name before the instance's suffix: <file><suffix>.log
	stream string // the stream's name before the instance's id
}

var logTypes = []logType{
	{"api", "kube-apiserver-", "kube-apiserver-"},
	{"audit", "audit-", "kube-apiserver-audit-"},
	{"authenticator", "authenticator-", "authenticator-"},
	{"controllerManager", "kube-controller-manager-", "kube-controller-manager-"},
	{"scheduler", "kube-scheduler-", "kube-scheduler-"},
}

// anyEnabled reports whether a cluster enables any of the log types.
func anyEnabled(enabled map[string]bool) bool {
	for _, t := range logTypes {
		if enabled[t.name] {
			return true
		}
	}
	return false
}

// source is one log file being shipped to one stream.
type source struct {
	typ    string
	path   string
	stream string
}

// sources lists the files of a cluster's enabled types found in logDir.
func sources(clusterUID, logDir string, enabled map[string]bool) []source {
	var out []source
	for _, t := range logTypes {
		if !enabled[t.name] {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(logDir, t.file+"*.log"))
		for _, f := range files {
			suffix := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), t.file), ".log")
			// kube-apiserver-audit... never: the api type's glob would also
			// match other files only if they shared its prefix, which none do.
			if suffix == "" || strings.ContainsAny(suffix, ".-") {
				continue
			}
			out = append(out, source{typ: t.name, path: f, stream: t.stream + instanceID(clusterUID, suffix)})
		}
	}
	return out
}

// instanceID is an API server instance's id in stream names: 32 hex
// digits as EKS's are, the same for the instance across restarts.
func instanceID(clusterUID, suffix string) string {
	sum := sha256.Sum256([]byte(clusterUID + "/" + suffix))
	return hex.EncodeToString(sum[:16])
}
