package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// The insights operations through the SDK. The test server runs no control
// planes: the checks that read the cluster say UNKNOWN, never a 500.
func TestClusterInsights(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.create("insights", func(in *eks.CreateClusterInput) { in.Version = aws.String("1.36") }); err != nil {
		t.Fatal(err)
	}
	markActive(t, "insights")

	list, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Insights) != 3 {
		t.Fatalf("%d insights, want 3: %+v", len(list.Insights), list.Insights)
	}
	names := map[string]ekstypes.InsightSummary{}
	for _, in := range list.Insights {
		names[aws.ToString(in.Name)] = in
		if in.Category != ekstypes.CategoryUpgradeReadiness || aws.ToString(in.KubernetesVersion) != "1.37" || in.InsightStatus == nil ||
			in.LastRefreshTime == nil || in.LastTransitionTime == nil || aws.ToString(in.Id) == "" {
			t.Errorf("insight %+v", in)
		}
	}
	dep, ok := names["Deprecated APIs removed in Kubernetes v1.37"]
	if !ok || dep.InsightStatus.Status != ekstypes.InsightStatusValueUnknown {
		t.Fatalf("deprecated APIs insight of an unreachable cluster: %+v", dep)
	}

	d, err := f.eks.DescribeInsight(ctx, &eks.DescribeInsightInput{ClusterName: aws.String("insights"), Id: dep.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Insight.Id) != aws.ToString(dep.Id) || aws.ToString(d.Insight.Recommendation) == "" || len(d.Insight.AdditionalInfo) == 0 ||
		d.Insight.CategorySpecificSummary == nil {
		t.Errorf("described insight %+v", d.Insight)
	}

	unknown, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights"),
		Filter: &ekstypes.InsightsFilter{Statuses: []ekstypes.InsightStatusValue{ekstypes.InsightStatusValueUnknown}, KubernetesVersions: []string{"1.37"}}})
	if err != nil || len(unknown.Insights) < 2 {
		t.Errorf("UNKNOWN for 1.37: %v %+v", err, unknown)
	}
	page, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights"), MaxResults: aws.Int32(2)})
	if err != nil || len(page.Insights) != 2 || page.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, page)
	}
	rest, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights"), MaxResults: aws.Int32(2), NextToken: page.NextToken})
	if err != nil || len(rest.Insights) != 1 || rest.NextToken != nil {
		t.Fatalf("second page: %v %+v", err, rest)
	}

	for name, err := range map[string]error{
		"maxResults 101": func() error {
			_, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights"), MaxResults: aws.Int32(101)})
			return err
		}(),
		"unknown status": func() error {
			_, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("insights"),
				Filter: &ekstypes.InsightsFilter{Statuses: []ekstypes.InsightStatusValue{"BAD"}}})
			return err
		}(),
	} {
		if code := apiErrorCode(t, err); code != "InvalidParameterException" {
			t.Errorf("%s: %v, want InvalidParameterException", name, err)
		}
	}
	if _, err := f.eks.DescribeInsight(ctx, &eks.DescribeInsightInput{ClusterName: aws.String("insights"), Id: aws.String("nope")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := f.eks.ListInsights(ctx, &eks.ListInsightsInput{ClusterName: aws.String("no-such-cluster")}); apiErrorCode(t, err) != "ResourceNotFoundException" {
		t.Errorf("unknown cluster: %v", err)
	}

	st, err := f.eks.StartInsightsRefresh(ctx, &eks.StartInsightsRefreshInput{ClusterName: aws.String("insights")})
	if err != nil || st.Status != ekstypes.InsightsRefreshStatusInProgress {
		t.Fatalf("start refresh: %v %+v", err, st)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rd, err := f.eks.DescribeInsightsRefresh(ctx, &eks.DescribeInsightsRefreshInput{ClusterName: aws.String("insights")})
		if err != nil {
			t.Fatal(err)
		}
		if rd.Status == ekstypes.InsightsRefreshStatusCompleted {
			if rd.StartedAt == nil || rd.EndedAt == nil {
				t.Errorf("completed refresh without times: %+v", rd)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("refresh still %s", rd.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
