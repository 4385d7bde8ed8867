// Package podidentity mutates pods for IAM roles for service accounts with
// the upstream amazon-eks-pod-identity-webhook's Modifier (the code EKS
// runs on its control plane), and adds what pods need to reach keks's
// STS instead of AWS's: AWS_ENDPOINT_URL (and _STS) and AWS_CA_BUNDLE, with keks's CA
// in a pod annotation that a downward API volume turns into a file. (A
// ClusterTrustBundle would be neater, but its projection is not on by
// default in every Kubernetes version keks runs.)
package podidentity

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/cache"
	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/containercredentials"
	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/handler"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/api/admission/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Where keks's CA lands in a mutated pod.
const (
	caVolume     = "keks-aws-ca"
	caMountPath  = "/var/run/secrets/keks.dev/aws-ca"
	caFile       = "ca.crt"
	caAnnotation = "keks.dev/aws-ca"
)

// NewModifier is upstream's Modifier as EKS configures it: service
// accounts' role annotations from saCache (IRSA), and the Pod Identity
// associations of identities, whose pods get the agent's credentials URI
// (http://169.254.170.23/v1/credentials) and a token for
// pods.eks.amazonaws.com.
func NewModifier(saCache cache.ServiceAccountCache, region string) (*handler.Modifier, *containercredentials.FileConfig) {
	identities := containercredentials.NewFileConfig("pods.eks.amazonaws.com", "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
		"eks-pod-identity-token", "eks-pod-identity-token", "http://169.254.170.23/v1/credentials")
	return handler.NewModifier(nil, handler.WithServiceAccountCache(saCache), handler.WithContainerCredentialsConfig(identities),
		handler.WithRegion(region)), identities
}

// Mutator answers the API server's AdmissionReviews of pods.
type Mutator struct {
	Modifier *handler.Modifier
	// Endpoint is keks's AWS API as pods reach it (https://198.19.255.254).
	Endpoint string
	// CA is the PEM of the CA keks's endpoint certificate chains to.
	CA string
}

type patchOperation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value,omitempty"`
}

func (m *Mutator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "an AdmissionReview with a request is expected", http.StatusBadRequest)
		return
	}
	resp := m.mutate(review.Request)
	resp.UID = review.Request.UID
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// mutate runs upstream's Modifier on the request, then adds keks's
// settings to what it changed.
func (m *Mutator) mutate(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	var upstreamReq v1beta1.AdmissionRequest
	if err := convert(req, &upstreamReq); err != nil {
		return refuse(err)
	}
	got := m.Modifier.MutatePod(&v1beta1.AdmissionReview{Request: &upstreamReq})
	resp := &admissionv1.AdmissionResponse{Allowed: got.Allowed, Result: got.Result}
	if len(got.Patch) == 0 {
		return resp
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return refuse(err)
	}
	patch, err := m.withEndpoint(got.Patch, &pod)
	if err != nil {
		return refuse(err)
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	return resp
}

// withEndpoint adds AWS_ENDPOINT_URL, AWS_CA_BUNDLE and the CA's mount to
// each container upstream gave AWS credentials settings, and the CA's
// volume to the pod.
func (m *Mutator) withEndpoint(raw []byte, pod *corev1.Pod) ([]byte, error) {
	var ops []patchOperation
	if err := json.Unmarshal(raw, &ops); err != nil {
		return nil, fmt.Errorf("read the webhook's patch: %w", err)
	}
	changed := false
	for i, op := range ops {
		if op.Path != "/spec/containers" && op.Path != "/spec/initContainers" {
			continue
		}
		var containers []corev1.Container
		if err := json.Unmarshal(op.Value, &containers); err != nil {
			return nil, fmt.Errorf("read the webhook's containers: %w", err)
		}
		for c := range containers {
			if m.addEndpoint(&containers[c]) {
				changed = true
			}
		}
		value, err := json.Marshal(containers)
		if err != nil {
			return nil, err
		}
		ops[i].Value = value
	}
	if changed && !slices.ContainsFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == caVolume }) {
		value, err := json.Marshal(corev1.Volume{Name: caVolume, VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{Path: caFile, FieldRef: &corev1.ObjectFieldSelector{
				APIVersion: "v1", FieldPath: "metadata.annotations['" + caAnnotation + "']"}}},
		}}})
		if err != nil {
			return nil, err
		}
		// Upstream's own volume op made sure the list exists.
		ops = append(ops, patchOperation{Op: "add", Path: "/spec/volumes/-", Value: value})
		ops = append(ops, m.annotateCA(pod))
	}
	return json.Marshal(ops)
}

// annotateCA puts keks's CA in the annotation the CA volume reads.
func (m *Mutator) annotateCA(pod *corev1.Pod) patchOperation {
	if pod.Annotations == nil {
		value, _ := json.Marshal(map[string]string{caAnnotation: m.CA})
		return patchOperation{Op: "add", Path: "/metadata/annotations", Value: value}
	}
	value, _ := json.Marshal(m.CA)
	return patchOperation{Op: "add", Path: "/metadata/annotations/" + strings.ReplaceAll(caAnnotation, "/", "~1"), Value: value}
}

// addEndpoint sets keks's endpoint and CA on a container that has AWS
// credentials settings, leaving any the pod set itself.
func (m *Mutator) addEndpoint(c *corev1.Container) bool {
	has := func(name string) bool {
		return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
	}
	if !has("AWS_ROLE_ARN") && !has("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
		return false
	}
	// AWS_ENDPOINT_URL_STS too: aws-sdk-go-v2 makes the STS client of its
	// web identity provider before it reads AWS_ENDPOINT_URL, and reads only
	// the service's own variable there.
	for _, name := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"} {
		if !has(name) {
			c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: m.Endpoint})
		}
	}
	if !has("AWS_CA_BUNDLE") {
		c.Env = append(c.Env, corev1.EnvVar{Name: "AWS_CA_BUNDLE", Value: caMountPath + "/" + caFile})
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.Name == caVolume }) {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: caVolume, MountPath: caMountPath, ReadOnly: true})
	}
	return true
}

// convert copies an admission request between API versions, whose JSON
// is the same.
func convert(from, to any) error {
	data, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, to)
}

func refuse(err error) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Message: err.Error()}}
}
