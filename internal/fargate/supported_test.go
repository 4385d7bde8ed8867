package fargate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestUnsupported(t *testing.T) {
	yes := true
	no := false
	privileged := corev1.Container{Name: "p", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}
	hostPort := corev1.Container{Name: "h", Ports: []corev1.ContainerPort{{ContainerPort: 9909, HostPort: 9909}}}
	caps := func(add ...corev1.Capability) corev1.Container {
		return corev1.Container{Name: "c", SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: add, Drop: []corev1.Capability{"ALL"}}}}
	}
	volume := func(name string, src corev1.VolumeSource) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: src}
	}
	for _, tc := range []struct {
		name string
		spec corev1.PodSpec
		want string
	}{
		{"plain pod", corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}}, ""},
		{
			"efs-csi node pod, as in aws-efs-csi-driver#589",
			corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{privileged, hostPort}},
			"fields not supported: HostNetwork, invalid SecurityContext fields: Privileged, port contains HostIP or HostPort",
		},
		{
			"kube-s3, as in freegroup/kube-s3#14",
			corev1.PodSpec{Containers: []corev1.Container{privileged}, Volumes: []corev1.Volume{
				volume("mntdatas3fs", corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/data-s3-fs"}}),
			}},
			"invalid SecurityContext fields: Privileged, volumes not supported: mntdatas3fs is of an unsupported volume Type",
		},
		{"all host namespaces", corev1.PodSpec{HostNetwork: true, HostPID: true, HostIPC: true}, "fields not supported: HostNetwork, HostPID, HostIPC"},
		{"privileged init container", corev1.PodSpec{InitContainers: []corev1.Container{privileged}, Containers: []corev1.Container{{}}}, "invalid SecurityContext fields: Privileged"},
		{"privileged false", corev1.PodSpec{Containers: []corev1.Container{{SecurityContext: &corev1.SecurityContext{Privileged: &no}}}}, ""},
		{"privileged twice is named once", corev1.PodSpec{Containers: []corev1.Container{privileged, privileged}}, "invalid SecurityContext fields: Privileged"},
		{"allowPrivilegeEscalation true", corev1.PodSpec{Containers: []corev1.Container{{SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &yes}}}}, "invalid SecurityContext fields: AllowPrivilegeEscalation"},
		{"allowPrivilegeEscalation false", corev1.PodSpec{Containers: []corev1.Container{{SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no}}}}, ""},
		{"default capabilities may be added", corev1.PodSpec{Containers: []corev1.Container{caps("NET_BIND_SERVICE", "SETUID", "SETGID")}}, ""},
		{"NET_ADMIN", corev1.PodSpec{Containers: []corev1.Container{caps("NET_ADMIN")}}, "invalid SecurityContext fields: Capabilities added: NET_ADMIN"},
		{"CAP_ prefix", corev1.PodSpec{Containers: []corev1.Container{caps("CAP_CHOWN")}}, "invalid SecurityContext fields: Capabilities added: CAP_CHOWN"},
		{"SYS_PTRACE", corev1.PodSpec{Containers: []corev1.Container{caps("SYS_PTRACE", "CHOWN")}}, "invalid SecurityContext fields: Capabilities added: SYS_PTRACE"},
		{
			"several security fields",
			corev1.PodSpec{Containers: []corev1.Container{privileged, caps("NET_ADMIN", "SYS_TIME"), caps("NET_ADMIN")}},
			"invalid SecurityContext fields: Privileged, Capabilities added: NET_ADMIN, SYS_TIME",
		},
		{"host IP only", corev1.PodSpec{Containers: []corev1.Container{{Ports: []corev1.ContainerPort{{ContainerPort: 80, HostIP: "0.0.0.0"}}}}}, "port contains HostIP or HostPort"},
		{
			"supported volumes",
			corev1.PodSpec{Volumes: []corev1.Volume{
				volume("e", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}),
				volume("s", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}),
				volume("c", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}),
				volume("p", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}),
				volume("d", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}}),
				volume("pvc", corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}),
			}},
			"",
		},
		{
			"unsupported volumes are each named",
			corev1.PodSpec{Volumes: []corev1.Volume{
				volume("ca", corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "csi.cert-manager.io"}}),
				volume("nfs", corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"}}),
				volume("ok", corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}),
			}},
			"volumes not supported: ca is of an unsupported volume Type, nfs is of an unsupported volume Type",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unsupported(&corev1.Pod{Spec: tc.spec}); got != tc.want {
				t.Errorf("Unsupported =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestUnsupportedWithClaims(t *testing.T) {
	pvs := map[string]*corev1.PersistentVolume{
		"efs":  {ObjectMeta: metav1.ObjectMeta{Name: "efs-pv"}, Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: EFSDriver, VolumeHandle: "fs-1"}}}},
		"ebs":  {ObjectMeta: metav1.ObjectMeta{Name: "pvc-a996c34f"}, Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "ebs.csi.aws.com"}}}},
		"host": {ObjectMeta: metav1.ObjectMeta{Name: "host-pv"}, Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
	}
	lookup := func(claim string) *corev1.PersistentVolume { return pvs[claim] }
	claim := func(volume, claim string) corev1.Volume {
		return corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
	}
	for _, tc := range []struct {
		name    string
		volumes []corev1.Volume
		want    string
	}{
		{"EFS", []corev1.Volume{claim("data", "efs")}, ""},
		{
			"EBS, as in aws-ebs-csi-driver#810",
			[]corev1.Volume{claim("storage-volume", "ebs")},
			"volumes not supported: storage-volume not supported because: PVC ebs bound to invalid PV pvc-a996c34f with CSI Driver: ebs.csi.aws.com",
		},
		{
			"unbound, as in aws-cdk#23375",
			[]corev1.Volume{claim("gitlab-config", "config"), claim("gitlab-logs", "logs")},
			"volumes not supported: gitlab-config not supported because: PVC config not bound, gitlab-logs not supported because: PVC logs not bound",
		},
		{"not CSI", []corev1.Volume{claim("d", "host")}, "volumes not supported: d not supported because: PVC host bound to invalid PV host-pv that is not a CSI volume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnsupportedWithClaims(&corev1.Pod{Spec: corev1.PodSpec{Volumes: tc.volumes}}, lookup); got != tc.want {
				t.Errorf("UnsupportedWithClaims =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
