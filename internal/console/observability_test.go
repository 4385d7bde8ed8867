package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func adminLogs() *cloudwatchlogs.Client {
	k := testServer.models.Bootstrap
	return cloudwatchlogs.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: testServer.http, BaseEndpoint: aws.String(testServer.models.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""), RetryMaxAttempts: 1})
}

func TestObservability(t *testing.T) {
	ctx := context.Background()
	makeCluster(t, "logged", ekstypes.AuthenticationModeApi)
	b := signedInAsAdmin(t)
	if resp := b.post("/console/clusters/logged/observability/logging", url.Values{"logging": {"api"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("logging while CREATING: %d", resp.StatusCode)
	}
	activate(t, "logged")
	resp := b.post("/console/clusters/logged/observability/logging", url.Values{"logging": {"api", "audit"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logging: %d", resp.StatusCode)
	}
	k := describe(t, "logged")
	on := map[string]bool{}
	for _, s := range k.Logging.ClusterLogging {
		for _, ty := range s.Types {
			on[string(ty)] = aws.ToBool(s.Enabled)
		}
	}
	if !on["api"] || !on["audit"] || on["scheduler"] {
		t.Errorf("logging: %v", on)
	}
	_, body := b.get("/console/clusters/logged/observability")
	if !strings.Contains(body, `id="logs-api"`) || strings.Contains(body, `id="logs-scheduler"`) {
		t.Errorf("observability tab: %s", body)
	}
	// Events as the control plane ships them: the api page shows the
	// kube-apiserver streams, not the audit ones its prefix also matches.
	logs := adminLogs()
	group := "/aws/eks/logged/cluster"
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	for stream, msg := range map[string]string{"kube-apiserver-0123abcd": "I1206 apiserver line <b>", "kube-apiserver-audit-0123abcd": `{"kind":"Event","auditID":"x"}`} {
		if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
			t.Fatal(err)
		}
		if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String(msg)}}}); err != nil {
			t.Fatal(err)
		}
	}
	resp, body = b.get("/console/clusters/logged/observability/logs/api")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "I1206 apiserver line &lt;b&gt;") || strings.Contains(body, "auditID") {
		t.Errorf("api logs: %d %s", resp.StatusCode, body)
	}
	if _, body = b.get("/console/clusters/logged/observability/logs/audit"); !strings.Contains(body, "auditID") || strings.Contains(body, "apiserver line") {
		t.Errorf("audit logs: %s", body)
	}
}
