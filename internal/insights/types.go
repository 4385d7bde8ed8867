// Package insights is EKS's cluster insights: the UPGRADE_READINESS checks
// EKS runs against a cluster to say what its next Kubernetes minor version
// would break (deprecated APIs its clients use, kubelets too old for the
// skew policy, add-on versions the next version has not), as ListInsights
// and DescribeInsight show them.
//
// A refresh reads the cluster (its API servers' metrics, its nodes) and the
// EKS model (its add-ons) and stores one record per cluster, so that the
// API answers from the store and a restarted keks keeps what it saw. What
// the API servers reported is remembered for 30 days, as EKS looks back 30
// days: their gauges start over when they restart (an upgrade rolls them).
package insights

import "time"

// Category and status values as the EKS API spells them.
const (
	CategoryUpgradeReadiness = "UPGRADE_READINESS"

	StatusPassing = "PASSING"
	StatusWarning = "WARNING"
	StatusError   = "ERROR"
	StatusUnknown = "UNKNOWN"

	RefreshInProgress = "IN_PROGRESS"
	RefreshFailed     = "FAILED"
	RefreshCompleted  = "COMPLETED"
)

// Categories and Statuses are the enums ListInsights' filter takes.
var (
	Categories = []string{CategoryUpgradeReadiness, "MISCONFIGURATION", "ROLLBACK_READINESS"}
	Statuses   = []string{StatusPassing, StatusWarning, StatusError, StatusUnknown}
)

// Insight is one check's result for one cluster and target version.
type Insight struct {
	ID                 string            `json:"id"`
	Check              string            `json:"check"` // CheckDeprecatedAPIs...
	Name               string            `json:"name"`
	Category           string            `json:"category"`
	KubernetesVersion  string            `json:"kubernetesVersion"` // the version the check is for: the next minor
	Description        string            `json:"description"`
	Recommendation     string            `json:"recommendation"`
	AdditionalInfo     map[string]string `json:"additionalInfo,omitempty"`
	Status             string            `json:"status"`
	Reason             string            `json:"reason"`
	LastRefreshTime    time.Time         `json:"lastRefreshTime"`
	LastTransitionTime time.Time         `json:"lastTransitionTime"`
	Resources          []Resource        `json:"resources,omitempty"`
	Deprecations       []Deprecation     `json:"deprecations,omitempty"`
	Addons             []AddonDetail     `json:"addons,omitempty"`
}

// Resource is one thing an insight found wrong (InsightResourceDetail).
type Resource struct {
	ARN                   string `json:"arn,omitempty"`
	KubernetesResourceURI string `json:"kubernetesResourceUri,omitempty"`
	Status                string `json:"status"`
	Reason                string `json:"reason"`
}

// Deprecation is one deprecated API the cluster's clients used
// (DeprecationDetail).
type Deprecation struct {
	Usage                          string       `json:"usage"` // the API's path, /apis/<group>/<version>/<resource>
	ReplacedWith                   string       `json:"replacedWith,omitempty"`
	StopServingVersion             string       `json:"stopServingVersion,omitempty"`
	StartServingReplacementVersion string       `json:"startServingReplacementVersion,omitempty"`
	ClientStats                    []ClientStat `json:"clientStats,omitempty"`
}

// ClientStat is one client's use of a deprecated API.
type ClientStat struct {
	UserAgent                  string    `json:"userAgent"`
	NumberOfRequestsLast30Days int       `json:"numberOfRequestsLast30Days"`
	LastRequestTime            time.Time `json:"lastRequestTime"`
}

// AddonDetail is an installed add-on and the versions of it the target
// Kubernetes version supports (AddonCompatibilityDetail).
type AddonDetail struct {
	Name               string   `json:"name"`
	CompatibleVersions []string `json:"compatibleVersions"`
}

// Seen is a deprecated API the API servers reported, remembered across
// refreshes.
type Seen struct {
	Group          string    `json:"group"`
	Version        string    `json:"version"`
	Resource       string    `json:"resource"`
	Subresource    string    `json:"subresource,omitempty"`
	RemovedRelease string    `json:"removedRelease,omitempty"`
	FirstSeen      time.Time `json:"firstSeen"`
	LastSeen       time.Time `json:"lastSeen"`
}

// Record is what the store keeps of one cluster's insights.
type Record struct {
	ClusterUID string    `json:"clusterUid"`
	Insights   []Insight `json:"insights"`
	Seen       []Seen    `json:"seen,omitempty"`
	// The last refresh: when it started and ended, and how it went.
	RefreshStarted time.Time `json:"refreshStarted"`
	RefreshEnded   time.Time `json:"refreshEnded"`
	RefreshStatus  string    `json:"refreshStatus"`
	RefreshMessage string    `json:"refreshMessage,omitempty"`
	// BeforeUpgrade is what the insights said when the version lifecycle
	// last refreshed them just before upgrading the cluster on its own.
	BeforeUpgrade *UpgradeCheck `json:"beforeUpgrade,omitempty"`
}

// UpgradeCheck records the insights that were not passing when an
// automatic upgrade went ahead.
type UpgradeCheck struct {
	At         time.Time `json:"at"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	NotPassing []string  `json:"notPassing,omitempty"`
}

// Filter is ListInsights' filter; an empty list matches everything.
type Filter struct {
	Categories, KubernetesVersions, Statuses []string
}

// RefreshState is what DescribeInsightsRefresh answers.
type RefreshState struct {
	Status, Message    string
	StartedAt, EndedAt time.Time
}
