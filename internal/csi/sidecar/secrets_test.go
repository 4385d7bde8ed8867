package sidecar

import (
	"context"
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestSecretDataReadsTheReferencedSecret(t *testing.T) {
	ctx := context.Background()
	kube := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "ebs"},
		Data:       map[string][]byte{"key": []byte("value")},
	})
	if data, err := SecretData(ctx, kube, nil); data != nil || err != nil {
		t.Errorf("no reference: %v, %v; want none", data, err)
	}
	data, err := SecretData(ctx, kube, &corev1.SecretReference{Namespace: "kube-system", Name: "ebs"})
	if err != nil || !maps.Equal(data, map[string]string{"key": "value"}) {
		t.Errorf("SecretData = %v, %v", data, err)
	}
	if _, err := SecretData(ctx, kube, &corev1.SecretReference{Namespace: "kube-system", Name: "gone"}); err == nil ||
		!strings.Contains(err.Error(), "error getting secret gone in namespace kube-system") {
		t.Errorf("missing secret: %v, want upstream's message", err)
	}
}
