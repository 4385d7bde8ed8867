package fargate

import "strings"

// CloudWatch reads a cloudwatch_logs output (Fluent Bit's C plugin) or a
// cloudwatch output (the Go plugin, amazon-cloudwatch-logs-for-fluent-bit),
// which take the same parameters for these. ok is false for any other
// output. autoCreate is auto_create_group as Fluent Bit reads a boolean
// (true, on or yes, any case); it is off by default in both plugins.
func (o Output) CloudWatch() (region, group, streamPrefix string, autoCreate bool, ok bool) {
	switch strings.ToLower(o.Name) {
	case "cloudwatch_logs", "cloudwatch":
	default:
		return "", "", "", false, false
	}
	switch strings.ToLower(o.Params["auto_create_group"]) {
	case "true", "on", "yes":
		autoCreate = true
	}
	return o.Params["region"], o.Params["log_group_name"], o.Params["log_stream_prefix"], autoCreate, true
}

// Stream is the log stream a CloudWatch output writes a container's logs
// to: its log_stream_name when set, else StreamName with its
// log_stream_prefix. (The plugins' stream templates are not read.)
func (o Output) Stream(podName, namespace, container, containerID string) string {
	if name := o.Params["log_stream_name"]; name != "" {
		return name
	}
	return StreamName(o.Params["log_stream_prefix"], podName, namespace, container, containerID)
}

// StreamName is the log stream Fluent Bit's CloudWatch outputs make for a
// container on Fargate: "The tag is appended to the prefix to construct
// the full log stream name" (docs.fluentbit.io, outputs/cloudwatch,
// log_stream_prefix). Fargate's input is tail of
// /var/log/containers/*.log with Tag kube.* (UG fargate-logging.adoc),
// and tail puts the file's path, slashes made dots, in place of the *;
// the kubelet names those files <pod>_<namespace>_<container>-<id>.log.
// Users find streams such as
// from-fluent-bit-kube.var.log.containers.<pod>_default_frontend-…
// (a terratest of a Fargate cluster, "logStreamPrefix :=
// "from-fluent-bit-kube.var.log.containers." + pod + "_default_frontend"").
// containerID may carry the runtime's scheme (containerd://), as in a
// pod's status; the file name does not.
func StreamName(prefix, podName, namespace, container, containerID string) string {
	if _, id, ok := strings.Cut(containerID, "://"); ok {
		containerID = id
	}
	return prefix + "kube.var.log.containers." + podName + "_" + namespace + "_" + container + "-" + containerID + ".log"
}
