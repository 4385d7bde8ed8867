package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestConsoleResources is the console's Resources tab and logs against a
// live cluster, as the signed-in principal: a Deployment of two pods on a
// managed node group of one node seen in the Pods list, a pod's page
// (containers, events, raw JSON), a pod's logs and the Deployment's logs
// of both pods; a custom resource with its printer columns; a user
// without an access entry sees Kubernetes's refusal.
func TestConsoleResources(t *testing.T) {
	harness.Long(t, "about 100 s; TestConsole browses pods and reads logs in a browser, this adds custom resources, raw views and a user without an access entry")
	e := harness.New(t)
	const cluster = "console-res"
	e.Run("aws", "eks", "create-cluster", "--name", cluster, "--role-arn", e.ClusterRole("clusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	nodeRole := e.NodeRole("nodeRole")
	start := time.Now()
	// Polled: the CLI's waiter looks only every 30 s.
	harness.Eventually(t, 3*time.Minute, "cluster ACTIVE", func() error {
		if st := strings.TrimSpace(e.Run("aws", "eks", "describe-cluster", "--name", cluster, "--query", "cluster.status", "--output", "text")); st != "ACTIVE" {
			return fmt.Errorf("cluster is %s", st)
		}
		return nil
	})
	t.Logf("cluster ACTIVE after %s", time.Since(start).Round(time.Second))
	e.Run("aws", "eks", "update-kubeconfig", "--name", cluster)

	// Both browsers sign in early: a session's new AWS credentials take a
	// few seconds to reach the cluster's authenticator.
	admin := adminConsole(t, e)
	base := "/console/clusters/" + cluster
	// A user who may describe the cluster but has no access entry.
	var u struct{ User struct{ Arn string } }
	e.JSON(&u, "aws", "iam", "create-user", "--user-name", "console-viewer")
	var pol struct{ Policy struct{ Arn string } }
	e.JSON(&pol, "aws", "iam", "create-policy", "--policy-name", "console-viewer", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster"],"Resource":"*"}]}`)
	e.Run("aws", "iam", "attach-user-policy", "--user-name", "console-viewer", "--policy-arn", pol.Policy.Arn)
	var k struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	e.JSON(&k, "aws", "iam", "create-access-key", "--user-name", "console-viewer")
	viewer := newConsoleClient(t, e)
	viewer.signIn(k.AccessKey.AccessKeyId, k.AccessKey.SecretAccessKey)

	// A custom resource, listed with its definition's printer columns.
	crd := filepath.Join(e.Dir, "widgets.yaml")
	if err := os.WriteFile(crd, []byte(widgetsYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "apply", "-f", crd)
	e.Run("kubectl", "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	w1 := filepath.Join(e.Dir, "w1.yaml")
	if err := os.WriteFile(w1, []byte(widgetYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "apply", "-f", w1)

	e.Run("aws", append([]string{"eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "one", "--node-role", nodeRole,
		"--scaling-config", "minSize=1,maxSize=1,desiredSize=1", "--instance-types", "t3.medium", "--subnets"}, e.PrivateSubnets()...)...)
	waitNodes(t, e, 1)
	t.Logf("node Ready after %s", time.Since(start).Round(time.Second))
	e.Run("kubectl", "create", "deployment", "web", "--image="+registry+"/keks/hello:latest", "--replicas=2", "--port=8080")
	e.Run("kubectl", "rollout", "status", "deployment/web", "--timeout=90s")
	pods := strings.Fields(e.Run("kubectl", "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(pods) != 2 {
		t.Fatalf("web pods: %v", pods)
	}
	t.Logf("Deployment rolled out after %s", time.Since(start).Round(time.Second))
	harness.Eventually(t, 30*time.Second, "both pods logging", func() error {
		for _, p := range pods {
			if out, err := e.Try("kubectl", "logs", p); err != nil || !strings.Contains(out, "listening on :8080") {
				return fmt.Errorf("%s: %q %v", p, out, err)
			}
		}
		return nil
	})

	body := admin.page(base+"/resources/pods?namespace=default", http.StatusOK)
	for _, p := range pods {
		if !strings.Contains(body, `data-name="`+p+`"`) {
			t.Errorf("pods list lacks %s: %s", p, body)
		}
	}
	if !strings.Contains(body, "<th>Ready</th>") || !strings.Contains(body, "<th>Restarts</th>") {
		t.Errorf("pods list lacks kubectl's columns: %s", body)
	}
	if body := admin.page(base+"/resources/deployments?q=we", http.StatusOK); !strings.Contains(body, `data-name="web"`) || !strings.Contains(body, "<th>Up-to-date</th>") {
		t.Errorf("deployments list: %s", body)
	}
	if body := admin.page(base+"/resources/nodes", http.StatusOK); !strings.Contains(body, "<th>Version</th>") {
		t.Errorf("nodes list: %s", body)
	}

	podPage := base + "/resources/pods/default/" + pods[0]
	body = admin.page(podPage, http.StatusOK)
	if !strings.Contains(body, `id="containers"`) || !strings.Contains(body, "keks/hello:latest") || !strings.Contains(body, "Running") {
		t.Errorf("pod page lacks its container: %s", body)
	}
	if !strings.Contains(body, `id="events"`) || !strings.Contains(body, "Scheduled") {
		t.Errorf("pod page lacks its events: %s", body)
	}
	if body := admin.page(podPage+"?view=raw", http.StatusOK); !strings.Contains(body, `"kind": "Pod"`) || !strings.Contains(body, `"name": "`+pods[0]+`"`) || strings.Contains(body, "managedFields") {
		t.Errorf("raw view: %s", body)
	}
	if body := admin.page(base+"/resources/deployments/default/web", http.StatusOK); !strings.Contains(body, pods[0]) || !strings.Contains(body, pods[1]) || !strings.Contains(body, `id="object-logs"`) {
		t.Errorf("deployment page lacks its pods: %s", body)
	}

	if body := admin.page(base+"/logs/default/pods/"+pods[0]+"?tail=50", http.StatusOK); !strings.Contains(body, "listening on :8080") {
		t.Errorf("pod logs: %s", body)
	}
	// Follow: the page polls its output, which comes alone for htmx.
	if body := admin.page(base+"/logs/default/pods/"+pods[0]+"?follow=1", http.StatusOK); !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Errorf("follow: %s", body)
	}
	if body := admin.fragment(base + "/logs/default/pods/" + pods[0] + "?follow=1&fragment=1"); !strings.HasPrefix(body, `<div id="log-output"`) || !strings.Contains(body, "listening on :8080") {
		t.Errorf("follow's fragment: %s", body)
	}
	body = admin.page(base+"/logs/default/deployments/web", http.StatusOK)
	for _, p := range pods {
		if !regexp.MustCompile(`\[` + regexp.QuoteMeta(p) + `/hello\] [^\n]*listening on :8080`).MatchString(body) {
			t.Errorf("deployment logs lack %s's lines: %s", p, body)
		}
	}

	if body := admin.page(base+"/resources/widgets.example.com?namespace=default", http.StatusOK); !strings.Contains(body, `data-name="w1"`) || !strings.Contains(body, "<th>Size</th>") || !strings.Contains(body, "<td>large</td>") {
		t.Errorf("custom resources list: %s", body)
	}
	if body := admin.page(base+"/resources/widgets.example.com/default/w1?view=raw", http.StatusOK); !strings.Contains(body, `"size": "large"`) {
		t.Errorf("custom resource's raw view: %s", body)
	}
	if body := admin.page(base+"/resources/customresourcedefinitions/_/widgets.example.com", http.StatusOK); !strings.Contains(body, `href="/console/clusters/`+cluster+`/resources/widgets.example.com" id="crd-instances"`) {
		t.Errorf("CRD page: %s", body)
	}
	admin.page(base+"/resources/nothings.example.com", http.StatusOK) // the tab says NotFound

	// The user without an access entry sees Kubernetes's refusal.
	if body := viewer.page(base+"/resources/pods", http.StatusOK); !strings.Contains(body, "Unauthorized") && !strings.Contains(body, "forbidden") {
		t.Errorf("viewer's tab: %s", body)
	}
}

const widgetsYAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
`

const widgetYAML = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: default
spec:
  size: large
`
