package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// fuzzOp is one operation a fuzzer can call, with a valid request as seed.
// For EKS, path holds {1} and {2} where the fuzzed labels go.
type fuzzOp struct {
	name, method, path string
	label1, label2     string
	query, body        string
}

// eksOps are the EKS operations keks serves, in an order in which each
// seed succeeds against the fixture.
var eksOps = []fuzzOp{
	{name: "CreateCluster", method: "POST", path: "/clusters", body: `{"name":"fz-new","roleArn":"$ROLE","resourcesVpcConfig":{"subnetIds":["$SUBNET_A","$SUBNET_B"]},"tags":{"team":"fuzz"}}`},
	{name: "ListClusters", method: "GET", path: "/clusters", query: "maxResults=2"},
	{name: "DescribeCluster", method: "GET", path: "/clusters/{1}", label1: "fz"},
	{name: "DescribeClusterVersions", method: "GET", path: "/cluster-versions", query: "defaultOnly=true&maxResults=5"},
	{name: "ListInsights", method: "POST", path: "/clusters/{1}/insights", label1: "fz", body: `{"filter":{"categories":["UPGRADE_READINESS"]},"maxResults":5}`},
	{name: "StartInsightsRefresh", method: "POST", path: "/clusters/{1}/insights-refresh", label1: "fz"},
	{name: "DescribeInsightsRefresh", method: "GET", path: "/clusters/{1}/insights-refresh", label1: "fz"},
	{name: "DescribeAddonVersions", method: "GET", path: "/addons/supported-versions", query: "addonName=coredns&kubernetesVersion=1.37"},
	{name: "DescribeAddonConfiguration", method: "GET", path: "/addons/configuration-schemas", query: "addonName=vpc-cni&addonVersion=v1.20.4-eksbuild.1"},
	{name: "CreateNodegroup", method: "POST", path: "/clusters/{1}/node-groups", label1: "fz",
		body: `{"nodegroupName":"fz-ng2","nodeRole":"$ROLE","subnets":["$SUBNET_A"],"scalingConfig":{"minSize":1,"maxSize":3,"desiredSize":2},"labels":{"a":"b"},"taints":[{"key":"k","value":"v","effect":"NO_SCHEDULE"}]}`},
	{name: "ListNodegroups", method: "GET", path: "/clusters/{1}/node-groups", label1: "fz", query: "maxResults=1"},
	{name: "DescribeNodegroup", method: "GET", path: "/clusters/{1}/node-groups/{2}", label1: "fz", label2: "fz-ng"},
	{name: "UpdateNodegroupConfig", method: "POST", path: "/clusters/{1}/node-groups/{2}/update-config", label1: "fz", label2: "fz-ng",
		body: `{"labels":{"addOrUpdateLabels":{"tier":"web"}},"scalingConfig":{"desiredSize":1}}`},
	{name: "UpdateNodegroupVersion", method: "POST", path: "/clusters/{1}/node-groups/{2}/update-version", label1: "fz", label2: "fz-ngv", body: `{"force":true}`},
	{name: "DeleteNodegroup", method: "DELETE", path: "/clusters/{1}/node-groups/{2}", label1: "fz", label2: "fz-ngd"},
	{name: "CreateAddon", method: "POST", path: "/clusters/{1}/addons", label1: "fz", body: `{"addonName":"vpc-cni","resolveConflicts":"OVERWRITE","tags":{"a":"b"}}`},
	{name: "ListAddons", method: "GET", path: "/clusters/{1}/addons", label1: "fz", query: "maxResults=2"},
	{name: "DescribeAddon", method: "GET", path: "/clusters/{1}/addons/{2}", label1: "fz", label2: "coredns"},
	{name: "UpdateAddon", method: "POST", path: "/clusters/{1}/addons/{2}/update", label1: "fz", label2: "coredns", body: `{"resolveConflicts":"OVERWRITE","configurationValues":"{}"}`},
	{name: "DeleteAddon", method: "DELETE", path: "/clusters/{1}/addons/{2}", label1: "fz", label2: "kube-proxy", query: "preserve=true"},
	{name: "TagResource", method: "POST", path: "/tags/{1}", label1: "$CLUSTER_ARN", body: `{"tags":{"owner":"fuzz"}}`},
	{name: "ListTagsForResource", method: "GET", path: "/tags/{1}", label1: "$CLUSTER_ARN"},
	{name: "UntagResource", method: "DELETE", path: "/tags/{1}", label1: "$CLUSTER_ARN", query: "tagKeys=owner"},
	{name: "ListUpdates", method: "GET", path: "/clusters/{1}/updates", label1: "fz", query: "maxResults=5"},
	{name: "DescribeUpdate", method: "GET", path: "/clusters/{1}/updates/{2}", label1: "fz", label2: "$UPDATE"},
	{name: "UpdateClusterConfig", method: "POST", path: "/clusters/{1}/update-config", label1: "fz",
		body: `{"logging":{"clusterLogging":[{"types":["api"],"enabled":true}]}}`},
	{name: "UpdateClusterVersion", method: "POST", path: "/clusters/{1}/updates", label1: "fz-old", body: `{"version":"1.37"}`},
	{name: "DeleteCluster", method: "DELETE", path: "/clusters/{1}", label1: "fz-del"},
	// Access entries, on a cluster made with the access entry API (its
	// creator gets an entry too). Disassociate names the cluster outright:
	// its two labels are the principal's and the policy's ARNs.
	{name: "CreateCluster", method: "POST", path: "/clusters",
		body: `{"name":"fz-ae","roleArn":"$ROLE","resourcesVpcConfig":{"subnetIds":["$SUBNET_A","$SUBNET_B"]},"accessConfig":{"authenticationMode":"API"}}`},
	{name: "CreateAccessEntry", method: "POST", path: "/clusters/{1}/access-entries", label1: "fz-ae",
		body: `{"principalArn":"$ROLE","kubernetesGroups":["fuzzers"],"tags":{"a":"b"}}`},
	{name: "ListAccessEntries", method: "GET", path: "/clusters/{1}/access-entries", label1: "fz-ae", query: "maxResults=5"},
	{name: "DescribeAccessEntry", method: "GET", path: "/clusters/{1}/access-entries/{2}", label1: "fz-ae", label2: "$ROLE"},
	{name: "UpdateAccessEntry", method: "POST", path: "/clusters/{1}/access-entries/{2}", label1: "fz-ae", label2: "$ROLE",
		body: `{"username":"fuzz:{{SessionName}}","kubernetesGroups":["fuzzers","viewers"]}`},
	{name: "ListAccessPolicies", method: "GET", path: "/access-policies", query: "maxResults=3"},
	{name: "AssociateAccessPolicy", method: "POST", path: "/clusters/{1}/access-entries/{2}/access-policies", label1: "fz-ae", label2: "$ROLE",
		body: `{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","accessScope":{"type":"namespace","namespaces":["default"]}}`},
	{name: "ListAssociatedAccessPolicies", method: "GET", path: "/clusters/{1}/access-entries/{2}/access-policies", label1: "fz-ae", label2: "$ROLE", query: "maxResults=1"},
	{name: "DisassociateAccessPolicy", method: "DELETE", path: "/clusters/fz-ae/access-entries/{1}/access-policies/{2}", label1: "$ROLE",
		label2: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"},
	{name: "DeleteAccessEntry", method: "DELETE", path: "/clusters/{1}/access-entries/{2}", label1: "fz-ae", label2: "$ROLE"},
	// Pod Identity associations: the fixture's $ASSOCIATION (of fz's
	// default/fz-sa) is described, updated, tagged and deleted.
	{name: "CreatePodIdentityAssociation", method: "POST", path: "/clusters/{1}/pod-identity-associations", label1: "fz",
		body: `{"namespace":"default","serviceAccount":"fz-new","roleArn":"$POD_ROLE","targetRoleArn":"$ROLE","tags":{"a":"b"}}`},
	{name: "ListPodIdentityAssociations", method: "GET", path: "/clusters/{1}/pod-identity-associations", label1: "fz", query: "namespace=default&maxResults=1"},
	{name: "DescribePodIdentityAssociation", method: "GET", path: "/clusters/{1}/pod-identity-associations/{2}", label1: "fz", label2: "$ASSOCIATION"},
	{name: "UpdatePodIdentityAssociation", method: "POST", path: "/clusters/{1}/pod-identity-associations/{2}", label1: "fz", label2: "$ASSOCIATION",
		body: `{"disableSessionTags":true,"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"}`},
	{name: "TagResource", method: "POST", path: "/tags/{1}", label1: "$ASSOCIATION_ARN", body: `{"tags":{"owner":"fuzz"}}`},
	{name: "DeletePodIdentityAssociation", method: "DELETE", path: "/clusters/{1}/pod-identity-associations/{2}", label1: "fz", label2: "$ASSOCIATION"},
	// Fargate profiles of fz-fg, in its (private) subnets.
	{name: "CreateFargateProfile", method: "POST", path: "/clusters/{1}/fargate-profiles", label1: "fz-fg",
		body: `{"fargateProfileName":"fz-fp","podExecutionRoleArn":"$FARGATE_ROLE","selectors":[{"namespace":"default","labels":{"a":"b*"}}],"tags":{"a":"b"}}`},
	{name: "ListFargateProfiles", method: "GET", path: "/clusters/{1}/fargate-profiles", label1: "fz-fg", query: "maxResults=1"},
	{name: "DescribeFargateProfile", method: "GET", path: "/clusters/{1}/fargate-profiles/{2}", label1: "fz-fg", label2: "fz-fp"},
	{name: "DeleteFargateProfile", method: "DELETE", path: "/clusters/{1}/fargate-profiles/{2}", label1: "fz-fg2", label2: "fz-fp-del"},
	// OIDC identity provider configs: fz-idp2 gets one; fz-idp's (ACTIVE,
	// $IDP_ARN) is described, listed, tagged and disassociated.
	{name: "AssociateIdentityProviderConfig", method: "POST", path: "/clusters/{1}/identity-provider-configs/associate", label1: "fz-idp2",
		body: `{"oidc":{"identityProviderConfigName":"fz-new","issuerUrl":"https://idp.example.com/fuzz","clientId":"kubernetes","usernameClaim":"email",` +
			`"groupsClaim":"groups","groupsPrefix":"oidc:","requiredClaims":{"hd":"example.com"}},"tags":{"a":"b"}}`},
	{name: "DescribeIdentityProviderConfig", method: "POST", path: "/clusters/{1}/identity-provider-configs/describe", label1: "fz-idp",
		body: `{"identityProviderConfig":{"type":"oidc","name":"fz-oidc"}}`},
	{name: "ListIdentityProviderConfigs", method: "GET", path: "/clusters/{1}/identity-provider-configs", label1: "fz-idp", query: "maxResults=1"},
	{name: "TagResource", method: "POST", path: "/tags/{1}", label1: "$IDP_ARN", body: `{"tags":{"owner":"fuzz"}}`},
	{name: "DisassociateIdentityProviderConfig", method: "POST", path: "/clusters/{1}/identity-provider-configs/disassociate", label1: "fz-idp",
		body: `{"identityProviderConfig":{"type":"oidc","name":"fz-oidc"}}`},
}

// eksCall builds an EKS request: operation op (or, past the list, a raw
// path of label1 with a method picked by label2) with fuzzed labels,
// query and body.
func eksCall(vars *strings.Replacer, op uint8, label1, label2, query string, body []byte, mode uint8) (*fuzzCall, bool) {
	label1, label2, query = vars.Replace(label1), vars.Replace(label2), vars.Replace(query)
	body = []byte(vars.Replace(string(body)))
	c := &fuzzCall{service: "eks", wire: wireRESTJSON, body: body, mode: mode, header: http.Header{"Content-Type": {"application/json"}}}
	var u *url.URL
	if int(op) < len(eksOps) {
		o := eksOps[op]
		c.method = o.method
		path := strings.NewReplacer("{1}", label1, "{2}", label2).Replace(o.path)
		raw := strings.NewReplacer("{1}", url.PathEscape(label1), "{2}", url.PathEscape(label2)).Replace(o.path)
		u = &url.URL{Scheme: "https", Host: fuzzHost, Path: path, RawPath: raw, RawQuery: query}
	} else {
		methods := []string{"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD"}
		c.method = methods[len(label2)%len(methods)]
		var err error
		if u, err = url.Parse("https://" + fuzzHost + "/" + strings.TrimPrefix(label1, "/")); err != nil || u.Host != fuzzHost {
			return nil, false
		}
		u.RawQuery = query
		// A request to / may be any service's.
		c.unmarked = u.Path == "/" || u.Path == ""
	}
	c.url = u
	return c, true
}

func FuzzEKS(f *testing.F) {
	for i, o := range eksOps {
		f.Add(uint8(i), o.label1, o.label2, o.query, []byte(o.body), uint8(modeSigned))
	}
	f.Add(uint8(len(eksOps)), "clusters/fz/no-such", "", "", []byte(nil), uint8(modeSigned))
	f.Add(uint8(2), "fz", "", "", []byte(nil), uint8(modeUnsigned))
	f.Fuzz(func(t *testing.T, op uint8, label1, label2, query string, body []byte, mode uint8) {
		c, ok := eksCall(fuzzVars(t), op, label1, label2, query, body, mode)
		if !ok {
			return
		}
		c.check(t)
	})
}

// TestEKSFuzzSeedsSucceed holds the seeds to being valid requests: each
// succeeds, in order, against a fresh fixture.
func TestEKSFuzzSeedsSucceed(t *testing.T) {
	vars := fuzzVars(t)
	for i, o := range eksOps {
		c, _ := eksCall(vars, uint8(i), o.label1, o.label2, o.query, []byte(o.body), modeSigned)
		if rec := c.check(t); rec.Code != http.StatusOK {
			t.Errorf("%s seed: %d %s", o.name, rec.Code, rec.Body)
		}
	}
}
