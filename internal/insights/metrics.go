package insights

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// DeprecatedUse is one series of kube-apiserver's
// apiserver_requested_deprecated_apis gauge: a deprecated API some client
// requested since that API server started.
type DeprecatedUse struct {
	Group, Version, Resource, Subresource, RemovedRelease string
}

const deprecatedMetric = "apiserver_requested_deprecated_apis"

// ParseDeprecatedAPIs reads the deprecated-API series out of an API
// server's /metrics (Prometheus text format). Only series whose value is
// non-zero count; malformed lines are skipped: the page is the API
// server's, not ours to refuse.
func ParseDeprecatedAPIs(page []byte) []DeprecatedUse {
	var out []DeprecatedUse
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, deprecatedMetric+"{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		value := strings.TrimSpace(line[end+1:])
		if i := strings.IndexByte(value, ' '); i >= 0 {
			value = value[:i] // a timestamp may follow
		}
		if v, err := strconv.ParseFloat(value, 64); err != nil || v == 0 {
			continue
		}
		labels, err := parseLabels(line[len(deprecatedMetric)+1 : end])
		if err != nil {
			continue
		}
		out = append(out, DeprecatedUse{Group: labels["group"], Version: labels["version"], Resource: labels["resource"],
			Subresource: labels["subresource"], RemovedRelease: labels["removed_release"]})
	}
	return out
}

// parseLabels reads name="value",... with Prometheus's escapes.
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || len(s) < eq+2 || s[eq+1] != '"' {
			return nil, fmt.Errorf("malformed labels %q", s)
		}
		name := strings.TrimSpace(s[:eq])
		var b strings.Builder
		i := eq + 2
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated label %s", name)
		}
		out[name] = b.String()
		s = strings.TrimPrefix(strings.TrimSpace(s[i+1:]), ",")
		s = strings.TrimSpace(s)
	}
	return out, nil
}
