package fargate

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// NotSupportedPrefix begins the fargate-scheduler's FailedScheduling
// event for a pod Fargate cannot run; the reasons Unsupported gives follow.
const NotSupportedPrefix = "Pod not supported on Fargate: "

// EFSDriver is the only CSI driver whose persistent volumes Fargate
// mounts (static provisioning only; UG fargate.adoc).
const EFSDriver = "efs.csi.aws.com"

// defaultCapabilities are the capabilities a Fargate container has
// (containers-roadmap#409); adding one of them is accepted, adding any
// other is not. SYS_PTRACE, which ECS on Fargate allows, is refused on
// EKS (containers-roadmap#2162, CrowdStrike/falcon-helm#183); so are
// NET_ADMIN (aws-app-mesh-roadmap#158) and names written with the CAP_
// prefix, even CAP_CHOWN (frappe/helm#182). The falcon sensor's fallback
// to SETUID and SETGID, and ingress-nginx adding NET_BIND_SERVICE with
// only AllowPrivilegeEscalation refused (ingress-nginx#9704), show these
// pass.
var defaultCapabilities = []corev1.Capability{
	"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
	"NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP",
}

// Unsupported is UnsupportedWithClaims without looking at persistent
// volumes: every claim is taken as an EFS volume.
func Unsupported(pod *corev1.Pod) string {
	return UnsupportedWithClaims(pod, nil)
}

// UnsupportedWithClaims is "" when Fargate can run the pod, or else the
// reasons the fargate-scheduler gives after NotSupportedPrefix, joined by
// ", " in the order of the messages users quoted:
//
//	fields not supported: HostNetwork, invalid SecurityContext fields: Privileged, port contains HostIP or HostPort
//	(aws-efs-csi-driver#589)
//	invalid SecurityContext fields: Privileged, volumes not supported: mntdatas3fs is of an unsupported volume Type
//	(freegroup/kube-s3#14)
//
// volume, when not nil, gives the persistent volume a claim of the pod's
// namespace is bound to, or nil while it is not bound.
func UnsupportedWithClaims(pod *corev1.Pod, volume func(claim string) *corev1.PersistentVolume) string {
	var reasons []string
	add := func(what string, items []string) {
		if len(items) > 0 {
			reasons = append(reasons, what+strings.Join(items, ", "))
		}
	}
	add("fields not supported: ", hostNamespaces(&pod.Spec))
	add("invalid SecurityContext fields: ", securityContextFields(&pod.Spec))
	if hasHostPort(&pod.Spec) {
		reasons = append(reasons, "port contains HostIP or HostPort")
	}
	add("volumes not supported: ", unsupportedVolumes(&pod.Spec, volume))
	return strings.Join(reasons, ", ")
}

// hostNamespaces lists the host namespaces the pod asks for, named as the
// PodSpec's fields are. Only HostNetwork is in a quoted message; HostPID
// and HostIPC follow its pattern.
func hostNamespaces(spec *corev1.PodSpec) []string {
	var fields []string
	if spec.HostNetwork {
		fields = append(fields, "HostNetwork")
	}
	if spec.HostPID {
		fields = append(fields, "HostPID")
	}
	if spec.HostIPC {
		fields = append(fields, "HostIPC")
	}
	return fields
}

// securityContextFields lists, once each, the container security settings
// Fargate refuses: Privileged; AllowPrivilegeEscalation set to true
// ("invalid SecurityContext fields: AllowPrivilegeEscalation",
// ingress-nginx#4888, #9704); and added capabilities outside
// defaultCapabilities ("Capabilities added: CAP_CHOWN", frappe/helm#182).
// How EKS lists several capabilities is not known; keks joins them by ", ".
func securityContextFields(spec *corev1.PodSpec) []string {
	var privileged, escalation bool
	var capabilities []string
	for _, c := range allContainers(spec) {
		sc := c.SecurityContext
		if sc == nil {
			continue
		}
		privileged = privileged || (sc.Privileged != nil && *sc.Privileged)
		escalation = escalation || (sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation)
		if sc.Capabilities == nil {
			continue
		}
		for _, added := range sc.Capabilities.Add {
			if !slices.Contains(defaultCapabilities, added) && !slices.Contains(capabilities, string(added)) {
				capabilities = append(capabilities, string(added))
			}
		}
	}
	var fields []string
	if privileged {
		fields = append(fields, "Privileged")
	}
	if escalation {
		fields = append(fields, "AllowPrivilegeEscalation")
	}
	if len(capabilities) > 0 {
		fields = append(fields, "Capabilities added: "+strings.Join(capabilities, ", "))
	}
	return fields
}

// hasHostPort reports whether a container port binds the host. With
// hostNetwork the API server defaults hostPort to containerPort, which is
// why the quoted messages name both.
func hasHostPort(spec *corev1.PodSpec) bool {
	for _, c := range allContainers(spec) {
		for _, p := range c.Ports {
			if p.HostPort != 0 || p.HostIP != "" {
				return true
			}
		}
	}
	return false
}

// unsupportedVolumes explains each volume Fargate cannot mount. The
// volume types it mounts are the API's own (emptyDir, secret, configMap,
// projected, downwardAPI) and claims of EFS volumes; any other is "of an
// unsupported volume Type", hostPath (freegroup/kube-s3#14) and inline
// CSI (cert-manager/csi-driver#267) included. The claim messages are
// quoted from aws-cdk#23375 and aws-ebs-csi-driver#810.
func unsupportedVolumes(spec *corev1.PodSpec, volume func(claim string) *corev1.PersistentVolume) []string {
	var out []string
	for _, v := range spec.Volumes {
		src := v.VolumeSource
		switch {
		case src.EmptyDir != nil, src.Secret != nil, src.ConfigMap != nil, src.Projected != nil, src.DownwardAPI != nil:
		case src.PersistentVolumeClaim != nil:
			if volume == nil {
				continue
			}
			claim := src.PersistentVolumeClaim.ClaimName
			pv := volume(claim)
			switch {
			case pv == nil:
				out = append(out, v.Name+" not supported because: PVC "+claim+" not bound")
			case pv.Spec.CSI == nil:
				// No message is known for a volume that is not CSI at all.
				out = append(out, v.Name+" not supported because: PVC "+claim+" bound to invalid PV "+pv.Name+" that is not a CSI volume")
			case pv.Spec.CSI.Driver != EFSDriver:
				out = append(out, v.Name+" not supported because: PVC "+claim+" bound to invalid PV "+pv.Name+" with CSI Driver: "+pv.Spec.CSI.Driver)
			}
		default:
			out = append(out, v.Name+" is of an unsupported volume Type")
		}
	}
	return out
}

func allContainers(spec *corev1.PodSpec) []corev1.Container {
	return append(slices.Clone(spec.InitContainers), spec.Containers...)
}
