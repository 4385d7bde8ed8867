package fargate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Fargate logging (UG fargate-logging.adoc): the aws-logging ConfigMap in
// the aws-observability namespace configures the Fluent Bit log router of
// every Fargate pod started after it, and the fargate-scheduler reports
// the outcome on each pod.
const (
	LoggingNamespace      = "aws-observability"
	LoggingNamespaceLabel = "aws-observability" // with the value "enabled"
	LoggingConfigMap      = "aws-logging"
	// MaxLoggingChars is the most characters the ConfigMap's data may
	// hold; more is refused at admission with TooManyCharsMessage.
	MaxLoggingChars     = 5300
	TooManyCharsMessage = "Config map has too many chars." // aws/aws-for-fluent-bit#324

	// The pod annotations the scheduler sets.
	CapacityAnnotation = "CapacityProvisioned"
	LoggingAnnotation  = "Logging"

	// Logging enabled: annotation value and event reason LoggingEnabled,
	// a Normal event (StevenJDH/Terraform-Modules, eks-fargate-logging;
	// eksctl#4486).
	LoggingEnabled        = "LoggingEnabled"
	LoggingEnabledMessage = "Successfully enabled logging for pod"
	// Logging disabled: a Warning event with reason LoggingDisabled.
	LoggingDisabledReason   = "LoggingDisabled"
	LoggingDisabledNotFound = "LoggingDisabled: LOGGING_CONFIGMAP_NOT_FOUND" // UG, troubleshooting
	LoggingNotFoundMessage  = `Disabled logging because aws-logging configmap was not found. configmap "aws-logging" not found`
	// LoggingDisabledInvalid is keks's annotation for an invalid ConfigMap:
	// no source shows EKS's.
	LoggingDisabledInvalid = "LoggingDisabled: LOGGING_CONFIGMAP_INVALID"
)

// LoggingInvalidMessage is the LoggingDisabled event for a ConfigMap
// ParseLogging refused, in the form of the one quoted in
// DataDog/documentation#24023: "Disabled logging for pod due to invalid
// configmap. amazon_data_firehose is not a supported output plugin.
// Please fix the logging configmap".
func LoggingInvalidMessage(err error) string {
	return "Disabled logging for pod due to invalid configmap. " + err.Error() + ". Please fix the logging configmap"
}

// ErrTooManyChars is ParseLogging's error for a ConfigMap over
// MaxLoggingChars, which the ConfigMap webhook refuses.
var ErrTooManyChars = errors.New(TooManyCharsMessage)

// LoggingConfig is a valid aws-logging ConfigMap.
type LoggingConfig struct {
	Outputs []Output
	Filters []Section
	Parsers []Section
	// ProcessLogs is flb_log_cw: ship Fluent Bit's own logs to CloudWatch.
	ProcessLogs bool
}

// Output is an [OUTPUT] section. Params holds its other keys, lower-cased
// since Fluent Bit's keys are case-insensitive; a repeated key keeps its
// last value, as Fluent Bit's output properties do.
type Output struct {
	Name, Match string
	Params      map[string]string
}

// Section is a [FILTER] or [PARSER] section (Match is empty for parsers).
// Params is as for Output; Entries keeps every key and value in order,
// since filters such as modify and record_modifier repeat keys.
type Section struct {
	Name, Match string
	Params      map[string]string
	Entries     []Param
}

// Param is one key-value line of a section, the key as written.
type Param struct{ Key, Value string }

// The ConfigMap's keys and the section each file may hold (UG).
var loggingFiles = map[string]string{"filters.conf": "FILTER", "output.conf": "OUTPUT", "parsers.conf": "PARSER"}

const processLogsKey = "flb_log_cw"

// Plugins Fargate accepts (UG, "the following supported filters" and
// "output").
var (
	supportedFilters = []string{"grep", "parser", "record_modifier", "rewrite_tag", "throttle", "nest", "modify", "kubernetes"}
	supportedOutputs = []string{"es", "firehose", "kinesis_firehose", "cloudwatch", "cloudwatch_logs", "kinesis"}
	// Keys of the kubernetes filter that Fargate sets itself (UG,
	// "Kubernetes filter support").
	serviceOwnedKubernetesKeys = []string{"kube_url", "kube_ca_file", "kube_token_command", "kube_token_file"}
)

// ParseLogging validates the data of an aws-logging ConfigMap as Fargate
// does (UG fargate-logging.adoc) and returns its sections. Its errors are
// worded for LoggingInvalidMessage; ErrTooManyChars is returned as is.
//
// The UG's rules: at most 5300 characters; [FILTER] only in filters.conf,
// [OUTPUT] only in output.conf, [PARSER] only in parsers.conf; Name and
// Match in every filter and output, Name and Format in every parser, keys
// case-insensitive; no ${ENV_VAR}; one indentation for the section
// headers and one, deeper, for the key-value lines, in each file; only
// the listed filter and output plugins, and at least one output. keks
// also refuses other keys in the ConfigMap and @INCLUDE or @SET lines,
// which the UG does not mention.
func ParseLogging(data map[string]string) (*LoggingConfig, error) {
	total := 0
	for _, v := range data {
		total += utf8.RuneCountInString(v)
	}
	if total > MaxLoggingChars {
		return nil, ErrTooManyChars
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cfg := &LoggingConfig{}
	for _, key := range keys {
		value := data[key]
		if i := strings.Index(value, "${"); i >= 0 {
			ref, _, _ := strings.Cut(value[i:], "}")
			return nil, fmt.Errorf("%s uses the environment variable %s}, and environment variables are not allowed", key, ref)
		}
		if key == processLogsKey {
			switch strings.ToLower(strings.TrimSpace(value)) {
			case "true":
				cfg.ProcessLogs = true
			case "false", "":
			default:
				return nil, fmt.Errorf("%s must be \"true\" or \"false\", not %q", processLogsKey, value)
			}
			continue
		}
		want, ok := loggingFiles[key]
		if !ok {
			return nil, fmt.Errorf("%s is not a supported key; the keys are filters.conf, output.conf, parsers.conf and flb_log_cw", key)
		}
		sections, err := parseClassic(key, value)
		if err != nil {
			return nil, err
		}
		for _, s := range sections {
			if s.kind != want {
				return nil, fmt.Errorf("%s: line %d: [%s] is not allowed here; %s holds only [%s] sections", key, s.line, s.kind, key, want)
			}
			if err := cfg.add(key, s); err != nil {
				return nil, err
			}
		}
	}
	if len(cfg.Outputs) == 0 {
		return nil, errors.New("no [OUTPUT] is configured; at least one supported output plugin is required in output.conf")
	}
	return cfg, nil
}

// add checks a section's required keys and plugin and adds it to cfg.
func (cfg *LoggingConfig) add(file string, s rawSection) error {
	sec := Section{Params: map[string]string{}}
	for _, p := range s.params {
		switch k := strings.ToLower(p.Key); k {
		case "name":
			sec.Name = p.Value
		case "match":
			sec.Match = p.Value
		default:
			sec.Params[k] = p.Value
			sec.Entries = append(sec.Entries, p)
		}
	}
	where := fmt.Sprintf("%s: the [%s] at line %d", file, s.kind, s.line)
	if sec.Name == "" {
		return fmt.Errorf("%s has no Name", where)
	}
	plugin := strings.ToLower(sec.Name)
	switch s.kind {
	case "FILTER":
		if !slices.Contains(supportedFilters, plugin) {
			return fmt.Errorf("%s is not a supported filter plugin", sec.Name)
		}
		if sec.Match == "" {
			return fmt.Errorf("%s (%s) has no Match", where, sec.Name)
		}
		if plugin == "kubernetes" {
			for _, k := range serviceOwnedKubernetesKeys {
				if _, ok := sec.Params[k]; ok {
					return fmt.Errorf("%s sets %s, which Fargate sets for the kubernetes filter", where, k)
				}
			}
		}
		cfg.Filters = append(cfg.Filters, sec)
	case "OUTPUT":
		if !slices.Contains(supportedOutputs, plugin) {
			return fmt.Errorf("%s is not a supported output plugin", sec.Name)
		}
		if sec.Match == "" {
			return fmt.Errorf("%s (%s) has no Match", where, sec.Name)
		}
		cfg.Outputs = append(cfg.Outputs, Output{Name: sec.Name, Match: sec.Match, Params: sec.Params})
	case "PARSER":
		if _, ok := sec.Params["format"]; !ok {
			return fmt.Errorf("%s (%s) has no Format", where, sec.Name)
		}
		cfg.Parsers = append(cfg.Parsers, sec)
	}
	return nil
}
