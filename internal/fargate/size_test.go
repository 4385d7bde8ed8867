package fargate

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func container(cpu, memory string) corev1.Container {
	return corev1.Container{Resources: corev1.ResourceRequirements{Requests: quantities(cpu, memory)}}
}

func quantities(cpu, memory string) corev1.ResourceList {
	l := corev1.ResourceList{}
	if cpu != "" {
		l[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if memory != "" {
		l[corev1.ResourceMemory] = resource.MustParse(memory)
	}
	return l
}

func sidecar(cpu, memory string) corev1.Container {
	c := container(cpu, memory)
	always := corev1.ContainerRestartPolicyAlways
	c.RestartPolicy = &always
	return c
}

func TestSizeOf(t *testing.T) {
	for _, tc := range []struct {
		name       string
		init, app  []corev1.Container
		podLevel   corev1.ResourceList
		want       string
		milli, mib int64
	}{
		{name: "no requests", app: []corev1.Container{{}}, want: "0.25vCPU 0.5GB", milli: 250, mib: 512},
		{name: "UG example: 1 vCPU 8 GiB", app: []corev1.Container{container("1", "8Gi")}, want: "2vCPU 9GB", milli: 2000, mib: 9216},
		{name: "decimal 8G still fits 1 vCPU", app: []corev1.Container{container("1", "8G")}, want: "1vCPU 8GB"},
		{name: "256Mi plus 256 is exactly 0.5GB", app: []corev1.Container{container("100m", "256Mi")}, want: "0.25vCPU 0.5GB"},
		{name: "one byte over", app: []corev1.Container{container("100m", "268435457")}, want: "0.25vCPU 1GB"},
		{name: "500m 500Mi", app: []corev1.Container{container("500m", "500Mi")}, want: "0.5vCPU 1GB"},
		{name: "cpu just over a quarter", app: []corev1.Container{container("251m", "")}, want: "0.5vCPU 1GB"},
		{name: "memory pushes past the 0.25 row", app: []corev1.Container{container("250m", "2Gi")}, want: "0.5vCPU 3GB"},
		{name: "memory-heavy, little CPU", app: []corev1.Container{container("100m", "10Gi")}, want: "2vCPU 11GB"},
		{name: "4 vCPU row max", app: []corev1.Container{container("3", "29Gi")}, want: "4vCPU 30GB"},
		{name: "8 vCPU steps of 4", app: []corev1.Container{container("5", "17Gi")}, want: "8vCPU 20GB"},
		{name: "16 vCPU minimum memory", app: []corev1.Container{container("9", "1Gi")}, want: "16vCPU 32GB"},
		{name: "largest", app: []corev1.Container{container("16", "119Gi")}, want: "16vCPU 120GB"},
		{name: "app containers add up", app: []corev1.Container{container("300m", "300Mi"), container("300m", "300Mi")}, want: "1vCPU 2GB"},
		{name: "init larger than apps", init: []corev1.Container{container("2", "1Gi"), container("1", "3Gi")}, app: []corev1.Container{container("250m", "256Mi")}, want: "2vCPU 4GB"},
		{name: "limits only count as requests", app: []corev1.Container{{Resources: corev1.ResourceRequirements{Limits: quantities("2", "4Gi")}}}, want: "2vCPU 5GB"},
		{name: "limits above requests do not count", app: []corev1.Container{{Resources: corev1.ResourceRequirements{Requests: quantities("250m", "256Mi"), Limits: quantities("4", "8Gi")}}}, want: "0.25vCPU 0.5GB"},
		{name: "sidecar counts with apps", init: []corev1.Container{sidecar("500m", "512Mi")}, app: []corev1.Container{container("500m", "512Mi")}, want: "1vCPU 2GB"},
		{name: "init after sidecar sees it", init: []corev1.Container{sidecar("500m", "256Mi"), container("1", "256Mi")}, app: []corev1.Container{container("250m", "256Mi")}, want: "2vCPU 4GB"},
		{name: "init before sidecar does not", init: []corev1.Container{container("1", "256Mi"), sidecar("500m", "256Mi")}, app: []corev1.Container{container("250m", "256Mi")}, want: "1vCPU 2GB"},
		{name: "pod-level requests win", podLevel: quantities("4", "8Gi"), app: []corev1.Container{container("250m", "256Mi")}, want: "4vCPU 9GB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{InitContainers: tc.init, Containers: tc.app}}
			if tc.podLevel != nil {
				pod.Spec.Resources = &corev1.ResourceRequirements{Requests: tc.podLevel}
			}
			got, err := SizeOf(pod)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("SizeOf = %q, want %q", got, tc.want)
			}
			if tc.milli != 0 && (got.MilliCPU != tc.milli || got.MemoryMiB != tc.mib) {
				t.Errorf("SizeOf = %+v, want %dm %d MiB", got, tc.milli, tc.mib)
			}
		})
	}
}

func TestSizeOfTooBig(t *testing.T) {
	for _, tc := range []struct {
		name, cpu, memory string
	}{
		{"too many vCPUs", "16001m", "1Gi"},
		{"too much memory with the 256", "1", "120Gi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SizeOf(&corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{container(tc.cpu, tc.memory)}}})
			var tooBig *TooBigError
			if !errors.As(err, &tooBig) {
				t.Fatalf("err = %v, want a *TooBigError", err)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	for _, tc := range []struct {
		s    Size
		want string
	}{
		{Size{250, 512}, "0.25vCPU 0.5GB"},
		{Size{500, 1024}, "0.5vCPU 1GB"},
		{Size{1000, 5120}, "1vCPU 5GB"},
		{Size{16000, 122880}, "16vCPU 120GB"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}
