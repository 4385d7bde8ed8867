package elb

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSourceRanges(t *testing.T) {
	for _, tc := range []struct {
		name               string
		spec               []string
		annotation         string
		wantAllow, wantBad []string
	}{
		{name: "none admits all"},
		{name: "spec", spec: []string{"10.0.0.0/8", "192.168.1.7/24"}, wantAllow: []string{"10.0.0.0/8", "192.168.1.0/24"}},
		{name: "annotation", annotation: " 203.0.113.0/24, 198.51.100.9/32 ", wantAllow: []string{"203.0.113.0/24", "198.51.100.9/32"}},
		{name: "spec wins", spec: []string{"10.0.0.0/8"}, annotation: "0.0.0.0/0", wantAllow: []string{"10.0.0.0/8"}},
		{name: "bad entry left out", annotation: "10.0.0.0/8,nonsense", wantAllow: []string{"10.0.0.0/8"}, wantBad: []string{"nonsense"}},
		{name: "only bad admits no one", annotation: "10.0.0.0/33", wantAllow: []string{noSource}, wantBad: []string{"10.0.0.0/33"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}}, Spec: corev1.ServiceSpec{LoadBalancerSourceRanges: tc.spec}}
			if tc.annotation != "" {
				svc.Annotations[sourceRangesAnnotation] = tc.annotation
			}
			allow, bad := sourceRanges(svc)
			if !slices.Equal(allow, tc.wantAllow) || !slices.Equal(bad, tc.wantBad) {
				t.Fatalf("sourceRanges = %v, %v; want %v, %v", allow, bad, tc.wantAllow, tc.wantBad)
			}
		})
	}
}
