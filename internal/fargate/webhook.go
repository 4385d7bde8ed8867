package fargate

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Paths of the webhooks on the pod identity webhook's listener, which
// EKS's control plane serves beside each API server.
const (
	MutatePath  = "/fargate/mutate"
	BindingPath = "/fargate/binding"
)

// ProfilesFile is what keks writes for a cluster's webhooks: the profiles
// pods may be matched to (CREATING and ACTIVE ones; a DELETING one takes no
// new pods).
type ProfilesFile struct {
	Profiles []Profile `json:"profiles"`
}

// WriteProfiles encodes the file's content.
func WriteProfiles(profiles []Profile) []byte {
	if profiles == nil {
		profiles = []Profile{}
	}
	data, _ := json.MarshalIndent(ProfilesFile{Profiles: profiles}, "", "  ")
	return data
}

// ReadProfiles reads the profiles file at path.
func ReadProfiles(path string) ([]Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	profiles, err := ParseProfiles(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return profiles, nil
}

// ParseProfiles decodes the profiles file's content.
func ParseProfiles(data []byte) ([]Profile, error) {
	var f ProfilesFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	return f.Profiles, nil
}

// Webhook serves the mutating webhook 0500-amazon-eks-fargate-mutation and
// the check that keeps the default scheduler off Fargate nodes.
type Webhook struct {
	// ProfilesPath is the cluster's profiles file, read again when it changes.
	ProfilesPath string

	mu       sync.Mutex
	modTime  time.Time
	profiles []Profile
}

// Handler routes the webhook's two paths.
func (w *Webhook) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+MutatePath, func(rw http.ResponseWriter, r *http.Request) { serveReview(rw, r, w.mutate) })
	mux.HandleFunc("POST "+BindingPath, func(rw http.ResponseWriter, r *http.Request) { serveReview(rw, r, denyDefaultBinding) })
	return mux
}

// current returns the profiles, reading the file only when it changed:
// a stat per pod is cheap, and keks's rewrites show at once.
func (w *Webhook) current() ([]Profile, error) {
	st, err := os.Stat(w.ProfilesPath)
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !st.ModTime().Equal(w.modTime) || w.profiles == nil {
		p, err := ReadProfiles(w.ProfilesPath)
		if err != nil {
			return nil, err
		}
		w.profiles, w.modTime = p, st.ModTime()
	}
	return w.profiles, nil
}

func serveReview(rw http.ResponseWriter, r *http.Request, decide func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&review); err != nil || review.Request == nil {
		http.Error(rw, "an AdmissionReview with a request is expected", http.StatusBadRequest)
		return
	}
	resp := decide(review.Request)
	resp.UID = review.Request.UID
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp})
}

// mutate gives a pod that a profile selects to the fargate-scheduler.
// Errors admit the pod unchanged, as the webhook's failurePolicy Ignore
// would: it then runs on EC2 nodes, if any.
func (w *Webhook) mutate(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	allowed := &admissionv1.AdmissionResponse{Allowed: true}
	if req.Operation != admissionv1.Create || req.Kind.Kind != "Pod" {
		return allowed
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return allowed
	}
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	if Skip(&pod) {
		return allowed
	}
	profiles, err := w.current()
	if err != nil || len(profiles) == 0 {
		return allowed
	}
	p, ok := MatchProfile(profiles, pod.Namespace, pod.Labels)
	if !ok {
		return allowed
	}
	patch, err := Mutation(&pod, p.Name)
	if err != nil {
		return allowed
	}
	pt := admissionv1.PatchTypeJSONPatch
	allowed.Patch, allowed.PatchType = patch, &pt
	return allowed
}

// denyDefaultBinding refuses the default scheduler's bindings to Fargate
// nodes. A DaemonSet's pods tolerate every taint, so the scheduler would
// place them there; on EKS they stay Pending instead, and so they do here.
func denyDefaultBinding(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	allowed := &admissionv1.AdmissionResponse{Allowed: true}
	if req.UserInfo.Username != "system:kube-scheduler" {
		return allowed
	}
	var b struct {
		Target corev1.ObjectReference `json:"target"`
	}
	if err := json.Unmarshal(req.Object.Raw, &b); err != nil || !strings.HasPrefix(b.Target.Name, "fargate-") {
		return allowed
	}
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
		Message: "Pod not supported: SchedulerName is not " + SchedulerName,
	}}
}
