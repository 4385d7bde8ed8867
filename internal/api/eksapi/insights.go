package eksapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/insights"
)

// The cluster insights operations: ListInsights, DescribeInsight,
// StartInsightsRefresh and DescribeInsightsRefresh, all on the cluster's ARN.

func (h *Handler) insightsService() (*insights.Service, error) {
	if h.Insights == nil {
		return nil, awserr.Errorf(awserr.CodeUnknownOperation, "keks serves no cluster insights here")
	}
	return h.Insights, nil
}

type listInsightsRequest struct {
	Filter *struct {
		Categories         []string `json:"categories"`
		KubernetesVersions []string `json:"kubernetesVersions"`
		Statuses           []string `json:"statuses"`
	} `json:"filter"`
	MaxResults *int   `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

func (h *Handler) listInsights(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	svc, err := h.insightsService()
	if err != nil {
		return err
	}
	var req listInsightsRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	max := 0
	if req.MaxResults != nil {
		if *req.MaxResults < 1 || *req.MaxResults > 100 {
			return awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value %s", *req.MaxResults,
				map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 100"}[*req.MaxResults < 1])
		}
		max = *req.MaxResults
	}
	var f insights.Filter
	if req.Filter != nil {
		if err := checkEnum("filter.categories", req.Filter.Categories, insights.Categories); err != nil {
			return err
		}
		if err := checkEnum("filter.statuses", req.Filter.Statuses, insights.Statuses); err != nil {
			return err
		}
		f = insights.Filter{Categories: req.Filter.Categories, KubernetesVersions: req.Filter.KubernetesVersions, Statuses: req.Filter.Statuses}
	}
	list, next, err := svc.List(r.Context(), c.Region, labels[0], f, max, req.NextToken)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(list))
	for i := range list {
		out = append(out, insightSummaryWire(&list[i]))
	}
	resp := map[string]any{"insights": out}
	if next != "" {
		resp["nextToken"] = next
	}
	awsproto.WriteJSON(w, c.RequestID, resp)
	return nil
}

// checkEnum refuses a list member outside an enum, as EKS's validation says it.
func checkEnum(field string, got, allowed []string) error {
	for _, v := range got {
		if !slices.Contains(allowed, v) {
			return awserr.Errorf(eks.CodeInvalidParameter, "1 validation error detected: Value '[%s]' at '%s' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [%s]]",
				strings.Join(got, ", "), field, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func (h *Handler) describeInsight(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	svc, err := h.insightsService()
	if err != nil {
		return err
	}
	in, err := svc.Describe(r.Context(), c.Region, labels[0], labels[1])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"insight": insightWire(in)})
	return nil
}

func (h *Handler) startInsightsRefresh(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	svc, err := h.insightsService()
	if err != nil {
		return err
	}
	st, err := svc.StartRefresh(r.Context(), c.Region, labels[0])
	if err != nil {
		return err
	}
	awsproto.WriteJSON(w, c.RequestID, map[string]any{"message": st.Message, "status": st.Status})
	return nil
}

func (h *Handler) describeInsightsRefresh(w http.ResponseWriter, r *http.Request, c *awsproto.Call, labels []string) error {
	svc, err := h.insightsService()
	if err != nil {
		return err
	}
	st, err := svc.DescribeRefresh(r.Context(), c.Region, labels[0])
	if err != nil {
		return err
	}
	out := map[string]any{"message": st.Message, "status": st.Status, "startedAt": epoch(st.StartedAt)}
	if !st.EndedAt.IsZero() {
		out["endedAt"] = epoch(st.EndedAt)
	}
	awsproto.WriteJSON(w, c.RequestID, out)
	return nil
}

func insightSummaryWire(in *insights.Insight) map[string]any {
	return map[string]any{
		"id": in.ID, "name": in.Name, "category": in.Category, "kubernetesVersion": in.KubernetesVersion,
		"lastRefreshTime": epoch(in.LastRefreshTime), "lastTransitionTime": epoch(in.LastTransitionTime),
		"description": in.Description, "insightStatus": map[string]string{"status": in.Status, "reason": in.Reason},
	}
}

func insightWire(in *insights.Insight) map[string]any {
	out := insightSummaryWire(in)
	out["recommendation"] = in.Recommendation
	out["additionalInfo"] = in.AdditionalInfo
	resources := make([]map[string]any, 0, len(in.Resources))
	for _, r := range in.Resources {
		m := map[string]any{"insightStatus": map[string]string{"status": r.Status, "reason": r.Reason}}
		if r.ARN != "" {
			m["arn"] = r.ARN
		}
		if r.KubernetesResourceURI != "" {
			m["kubernetesResourceUri"] = r.KubernetesResourceURI
		}
		resources = append(resources, m)
	}
	out["resources"] = resources
	summary := map[string]any{}
	if in.Check == insights.CheckDeprecatedAPIs {
		details := make([]map[string]any, 0, len(in.Deprecations))
		for _, d := range in.Deprecations {
			m := map[string]any{"usage": d.Usage, "clientStats": clientStatsWire(d.ClientStats)}
			for k, v := range map[string]string{"replacedWith": d.ReplacedWith, "stopServingVersion": d.StopServingVersion,
				"startServingReplacementVersion": d.StartServingReplacementVersion} {
				if v != "" { // none known: absent, not ""
					m[k] = v
				}
			}
			details = append(details, m)
		}
		summary["deprecationDetails"] = details
	}
	if in.Check == insights.CheckAddons {
		details := make([]map[string]any, 0, len(in.Addons))
		for _, a := range in.Addons {
			details = append(details, map[string]any{"name": a.Name, "compatibleVersions": nonNil(a.CompatibleVersions)})
		}
		summary["addonCompatibilityDetails"] = details
	}
	out["categorySpecificSummary"] = summary
	return out
}

func clientStatsWire(in []insights.ClientStat) []map[string]any {
	out := make([]map[string]any, 0, len(in))
	for _, s := range in {
		out = append(out, map[string]any{"userAgent": s.UserAgent, "numberOfRequestsLast30Days": s.NumberOfRequestsLast30Days,
			"lastRequestTime": epoch(s.LastRequestTime)})
	}
	return out
}
