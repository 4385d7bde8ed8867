package podidentity

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/cache"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// review sends a pod of a service account through the mutator and
// returns the pod as the API server would store it.
func review(t *testing.T, m *Mutator, pod *corev1.Pod) (*corev1.Pod, *admissionv1.AdmissionResponse) {
	t.Helper()
	raw, _ := json.Marshal(pod)
	in, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "u-1", Namespace: pod.Namespace, Object: runtime.RawExtension{Raw: raw}}})
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("POST", "/mutate", bytes.NewReader(in)))
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Response == nil || out.Response.UID != "u-1" || !out.Response.Allowed {
		t.Fatalf("answer: %s", rec.Body)
	}
	if len(out.Response.Patch) == 0 {
		return pod, out.Response
	}
	p, err := jsonpatch.DecodePatch(out.Response.Patch)
	if err != nil {
		t.Fatal(err)
	}
	mutated, err := p.Apply(raw)
	if err != nil {
		t.Fatalf("%v: %s", err, out.Response.Patch)
	}
	var got corev1.Pod
	if err := json.Unmarshal(mutated, &got); err != nil {
		t.Fatal(err)
	}
	return &got, out.Response
}

func TestMutatorAddsKeksEndpointToWhatUpstreamMutates(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "default",
		Annotations: map[string]string{"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app"}}}
	modifier, _ := NewModifier(cache.NewFakeServiceAccountCache(sa), "us-east-1")
	m := &Mutator{
		Modifier: modifier,
		Endpoint: "https://198.19.255.254",
		CA:       testCA,
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{ServiceAccountName: "app",
		Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	got, _ := review(t, m, pod)
	env := map[string]string{}
	for _, e := range got.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	for k, want := range map[string]string{
		"AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/app", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": "https://198.19.255.254", "AWS_ENDPOINT_URL_STS": "https://198.19.255.254", "AWS_CA_BUNDLE": "/var/run/secrets/keks.dev/aws-ca/ca.crt",
	} {
		if env[k] != want {
			t.Errorf("%s=%q, want %q (env %v)", k, env[k], want, env)
		}
	}
	var names []string
	for _, v := range got.Spec.Volumes {
		names = append(names, v.Name)
		if v.Name == caVolume && (v.DownwardAPI == nil || v.DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.annotations['keks.dev/aws-ca']") {
			t.Errorf("CA volume: %+v", v)
		}
	}
	if strings.Join(names, " ") != "aws-iam-token keks-aws-ca" {
		t.Errorf("volumes %v", names)
	}
	if got.Annotations[caAnnotation] != testCA {
		t.Errorf("annotations %v", got.Annotations)
	}

	// A pod of a service account without a role is left alone.
	other := pod.DeepCopy()
	other.Spec.ServiceAccountName = "default"
	if _, resp := review(t, m, other); len(resp.Patch) != 0 {
		t.Errorf("a pod without a role was patched: %s", resp.Patch)
	}
}

func TestMutatorAddsKeksEndpointToPodIdentityPods(t *testing.T) {
	modifier, identities := NewModifier(cache.NewFakeServiceAccountCache(), "us-east-1")
	if err := identities.Load([]byte(`{"identities":[{"namespace":"team","serviceAccount":"reader"}]}`)); err != nil {
		t.Fatal(err)
	}
	m := &Mutator{Modifier: modifier, Endpoint: "https://198.19.255.254", CA: testCA}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "team", Annotations: map[string]string{"mine": "kept"}}, Spec: corev1.PodSpec{ServiceAccountName: "reader",
		Containers: []corev1.Container{{Name: "c", Image: "x", Env: []corev1.EnvVar{{Name: "AWS_ENDPOINT_URL", Value: "https://mine"}}}}}}
	got, _ := review(t, m, pod)
	env := map[string]string{}
	for _, e := range got.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] != "http://169.254.170.23/v1/credentials" || env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == "" ||
		env["AWS_ENDPOINT_URL"] != "https://mine" || env["AWS_CA_BUNDLE"] == "" || got.Labels["eks.amazonaws.com/pod-identity"] != "enabled" ||
		got.Annotations[caAnnotation] != testCA || got.Annotations["mine"] != "kept" {
		t.Errorf("env %v, labels %v", env, got.Labels)
	}
}

const testCA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
