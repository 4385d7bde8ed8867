package insights

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Audit reads who requested deprecated APIs, for the clientStats EKS shows.
type Audit interface {
	// DeprecatedRequests returns, per deprecated API (its Seen key), the
	// clients that requested it since then.
	DeprecatedRequests(ctx context.Context, clusterUID string, since time.Time) (map[string][]ClientStat, []DeprecatedUse, error)
}

// AuditLog reads the API servers' audit logs keks keeps for a cluster whose
// audit logging is on (audit-*.log in its control plane's log directory).
// With audit logging off there are none, and no client statistics.
type AuditLog struct {
	Dir func(ctx context.Context, clusterUID string) (string, error)
}

// auditEvent is what an audit line says that the statistics need.
type auditEvent struct {
	Stage          string            `json:"stage"`
	UserAgent      string            `json:"userAgent"`
	StageTimestamp time.Time         `json:"stageTimestamp"`
	Annotations    map[string]string `json:"annotations"`
	ObjectRef      *struct {
		Resource    string `json:"resource"`
		APIGroup    string `json:"apiGroup"`
		APIVersion  string `json:"apiVersion"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
}

// deprecatedMark is how the API server annotates a deprecated API's
// request; lines without it are skipped before decoding, as the logs are
// large and such requests rare.
var deprecatedMark = []byte(`"k8s.io/deprecated":"true"`)

// DeprecatedRequests scans the audit logs, the rotated ones too.
func (a AuditLog) DeprecatedRequests(ctx context.Context, clusterUID string, since time.Time) (map[string][]ClientStat, []DeprecatedUse, error) {
	dir, err := a.Dir(ctx, clusterUID)
	if err != nil {
		return nil, nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.log"))
	if err != nil {
		return nil, nil, err
	}
	type statKey struct{ api, agent string }
	stats := map[statKey]*ClientStat{}
	uses := map[string]DeprecatedUse{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if fi, err := os.Stat(f); err != nil || fi.ModTime().Before(since) {
			continue // rotated before the window began
		}
		err := scanAudit(f, func(ev *auditEvent) {
			if ev.StageTimestamp.Before(since) || ev.ObjectRef == nil {
				return
			}
			u := DeprecatedUse{Group: ev.ObjectRef.APIGroup, Version: ev.ObjectRef.APIVersion, Resource: ev.ObjectRef.Resource,
				Subresource: ev.ObjectRef.Subresource, RemovedRelease: ev.Annotations["k8s.io/removed-release"]}
			api := useKey(u)
			uses[api] = u
			k := statKey{api, ev.UserAgent}
			s := stats[k]
			if s == nil {
				s = &ClientStat{UserAgent: ev.UserAgent}
				stats[k] = s
			}
			s.NumberOfRequestsLast30Days++
			if ev.StageTimestamp.After(s.LastRequestTime) {
				s.LastRequestTime = ev.StageTimestamp
			}
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) { // rotated away meanwhile
			return nil, nil, fmt.Errorf("read audit log %s: %w", filepath.Base(f), err)
		}
	}
	out := map[string][]ClientStat{}
	for k, s := range stats {
		out[k.api] = append(out[k.api], *s)
	}
	for api := range out {
		sort.Slice(out[api], func(i, j int) bool { return out[api][i].UserAgent < out[api][j].UserAgent })
	}
	list := make([]DeprecatedUse, 0, len(uses))
	for _, u := range uses {
		list = append(list, u)
	}
	sort.Slice(list, func(i, j int) bool { return useKey(list[i]) < useKey(list[j]) })
	return out, list, nil
}

func scanAudit(path string, each func(*auditEvent)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, deprecatedMark) {
			continue
		}
		var ev auditEvent
		// A request is logged at each stage; ResponseComplete (or Panic)
		// counts it once.
		if json.Unmarshal(line, &ev) != nil || (ev.Stage != "ResponseComplete" && ev.Stage != "Panic") {
			continue
		}
		each(&ev)
	}
	return sc.Err()
}

// useKey names a deprecated API as Seen and the statistics key it.
func useKey(u DeprecatedUse) string {
	return u.Group + "/" + u.Version + "/" + u.Resource + "/" + u.Subresource
}
