package eksapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

func (h *Handler) describeClusterVersions(w http.ResponseWriter, r *http.Request, c *awsproto.Call, _ []string) error {
	q := r.URL.Query()
	max, err := intQuery(r, "maxResults")
	if err != nil {
		return err
	}
	defaultOnly, err := boolQuery(r, "defaultOnly")
	if err != nil {
		return err
	}
	includeAll, err := boolQuery(r, "includeAll")
	if err != nil {
		return err
	}
	if t := q.Get("clusterType"); t != "" && t != "eks" {
		return awserr.Errorf(eks.CodeInvalidParameter, "clusterType must be eks")
	}
	wantStatus := q.Get("versionStatus")
	if legacy := q.Get("status"); legacy != "" && wantStatus == "" {
		wantStatus = strings.ToUpper(strings.ReplaceAll(legacy, "-", "_"))
	}
	if wantStatus != "" && !slices.Contains([]string{kubeversions.StandardSupport, kubeversions.ExtendedSupport, kubeversions.Unsupported}, wantStatus) {
		return awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '%s' at 'versionStatus' failed to satisfy constraint: Member must satisfy enum value set: [UNSUPPORTED, STANDARD_SUPPORT, EXTENDED_SUPPORT]", wantStatus)
	}
	now := h.EKS.SupportTime()
	byName := map[string]map[string]any{}
	var names []string
	for _, v := range kubeversions.All() {
		st := v.Status(now)
		switch {
		case defaultOnly && v.Minor != kubeversions.Default:
			continue
		case len(q["clusterVersions"]) > 0 && !slices.Contains(q["clusterVersions"], v.Minor):
			continue
		case wantStatus != "" && st != wantStatus:
			continue
		case st == kubeversions.Unsupported && !includeAll && wantStatus == "":
			continue
		}
		names = append(names, v.Minor)
		byName[v.Minor] = map[string]any{
			"clusterVersion": v.Minor, "clusterType": "eks", "defaultPlatformVersion": v.PlatformVersion,
			"defaultVersion": v.Minor == kubeversions.Default, "releaseDate": epoch(v.Release),
			"endOfStandardSupportDate": epoch(v.EndOfStandard), "endOfExtendedSupportDate": epoch(v.EndOfExtended),
			"status": strings.ToLower(strings.ReplaceAll(st, "_", "-")), "versionStatus": st, "kubernetesPatchVersion": v.Patch,
		}
	}
	page, next, err := eks.Page(names, max, q.Get("nextToken"))
	if err != nil {
		return err
	}
	// Newest first, as EKS lists them.
	slices.SortFunc(page, func(a, b string) int {
		if kubeversions.Less(a, b) {
			return 1
		}
		return -1
	})
	out := []map[string]any{}
	for _, n := range page {
		out = append(out, byName[n])
	}
	resp := map[string]any{"clusterVersions": out}
	if next != "" {
		resp["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, resp)
	return nil
}
