package fargate

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// The UG's CloudWatch example (fargate-logging.adoc), indentation included.
var ugCloudWatch = map[string]string{
	"flb_log_cw": "false",
	"filters.conf": `[FILTER]
    Name parser
    Match *
    Key_name log
    Parser crio
[FILTER]
    Name kubernetes
    Match kube.*
    Merge_Log On
    Keep_Log Off
    Buffer_Size 0
    Kube_Meta_Cache_TTL 300s
`,
	"output.conf": `[OUTPUT]
    Name cloudwatch_logs
    Match   kube.*
    region region-code
    log_group_name my-logs
    log_stream_prefix from-fluent-bit-
    log_retention_days 60
    auto_create_group true
`,
	"parsers.conf": `[PARSER]
    Name crio
    Format Regex
    Regex ^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>P|F) (?<log>.*)$
    Time_Key    time
    Time_Format %Y-%m-%dT%H:%M:%S.%L%z
`,
}

func TestParseLoggingUGExample(t *testing.T) {
	cfg, err := ParseLogging(ugCloudWatch)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Filters) != 2 || len(cfg.Outputs) != 1 || len(cfg.Parsers) != 1 || cfg.ProcessLogs {
		t.Fatalf("cfg = %+v", cfg)
	}
	out := cfg.Outputs[0]
	if out.Name != "cloudwatch_logs" || out.Match != "kube.*" {
		t.Errorf("output = %+v", out)
	}
	wantParams := map[string]string{"region": "region-code", "log_group_name": "my-logs", "log_stream_prefix": "from-fluent-bit-",
		"log_retention_days": "60", "auto_create_group": "true"}
	if !maps.Equal(out.Params, wantParams) {
		t.Errorf("params = %v, want %v", out.Params, wantParams)
	}
	p := cfg.Parsers[0]
	if p.Name != "crio" || p.Params["regex"] != `^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>P|F) (?<log>.*)$` || p.Params["time_key"] != "time" {
		t.Errorf("parser = %+v", p)
	}
	if f := cfg.Filters[1]; f.Name != "kubernetes" || f.Entries[0] != (Param{"Merge_Log", "On"}) {
		t.Errorf("filter = %+v", f)
	}
}

func TestParseLoggingOtherUGExamples(t *testing.T) {
	for name, data := range map[string]map[string]string{
		// Two-space and one-space indentation, as the UG's OpenSearch and
		// Firehose examples have.
		"opensearch": {"output.conf": "[OUTPUT]\n  Name  es\n  Match *\n  Host  search-example.region-code.es.amazonaws.com\n  Port  443\n  AWS_Auth On\n  tls   On\n"},
		"firehose":   {"output.conf": "[OUTPUT]\n Name  kinesis_firehose\n Match *\n region region-code\n delivery_stream my-stream-firehose\n"},
		"process logs": {"flb_log_cw": "true", "output.conf": `[OUTPUT]
        Name cloudwatch
        Match kube.*
        region region-code
        log_group_name fluent-bit-cloudwatch
        log_stream_prefix from-fluent-bit-
        auto_create_group true
`},
		"comments, blank lines, tabs, CRLF, lower-case keys": {"output.conf": "# routes\r\n[OUTPUT]\r\n\tname\tes\r\n\r\n\t# the match\r\n\tmatch\t*\r\n"},
		"several outputs, multi-valued filter": {
			"output.conf":  "[OUTPUT]\n    Name es\n    Match a.*\n[OUTPUT]\n    Name kinesis\n    Match b.*\n",
			"filters.conf": "[FILTER]\n    Name modify\n    Match *\n    Add a 1\n    Add b 2\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseLogging(data)
			if err != nil {
				t.Fatal(err)
			}
			if name == "process logs" && !cfg.ProcessLogs {
				t.Error("flb_log_cw true not read")
			}
			if name == "several outputs, multi-valued filter" && (len(cfg.Outputs) != 2 || len(cfg.Filters[0].Entries) != 2) {
				t.Errorf("cfg = %+v", cfg)
			}
		})
	}
}

func TestParseLoggingErrors(t *testing.T) {
	output := "[OUTPUT]\n    Name es\n    Match *\n"
	for _, tc := range []struct {
		name string
		data map[string]string
		want string // a part of the error
	}{
		{"nothing", map[string]string{}, "at least one supported output plugin"},
		{"filters only", map[string]string{"filters.conf": "[FILTER]\n    Name grep\n    Match *\n"}, "at least one supported output plugin"},
		{"unknown key", map[string]string{"output.conf": output, "fluent-bit.conf": "x"}, "fluent-bit.conf is not a supported key"},
		{"bad flb_log_cw", map[string]string{"output.conf": output, "flb_log_cw": "yes please"}, `flb_log_cw must be "true" or "false"`},
		{"unsupported output, as in DataDog/documentation#24023", map[string]string{"output.conf": "[OUTPUT]\n    Name amazon_data_firehose\n    Match *\n"}, "amazon_data_firehose is not a supported output plugin"},
		{"unsupported filter", map[string]string{"output.conf": output, "filters.conf": "[FILTER]\n    Name lua\n    Match *\n"}, "lua is not a supported filter plugin"},
		{"input section", map[string]string{"output.conf": "[INPUT]\n    Name tail\n" + output}, "[INPUT] is not allowed here; output.conf holds only [OUTPUT] sections"},
		{"filter in output.conf", map[string]string{"output.conf": output + "[FILTER]\n    Name grep\n    Match *\n"}, "line 4: [FILTER] is not allowed here"},
		{"output without Match", map[string]string{"output.conf": "[OUTPUT]\n    Name es\n"}, "output.conf: the [OUTPUT] at line 1 (es) has no Match"},
		{"filter without Name", map[string]string{"output.conf": output, "filters.conf": "[FILTER]\n    Match *\n"}, "filters.conf: the [FILTER] at line 1 has no Name"},
		{"parser without Format", map[string]string{"output.conf": output, "parsers.conf": "[PARSER]\n    Name p\n    Regex .*\n"}, "(p) has no Format"},
		{"environment variable", map[string]string{"output.conf": "[OUTPUT]\n    Name es\n    Match *\n    Host ${ES_HOST}\n"}, "output.conf uses the environment variable ${ES_HOST}"},
		{"kubernetes filter service-owned key", map[string]string{"output.conf": output, "filters.conf": "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Kube_URL https://x\n"}, "sets kube_url, which Fargate sets"},
		{"headers indented differently", map[string]string{"output.conf": output + "  [OUTPUT]\n    Name es\n    Match *\n"}, "line 4: [OUTPUT] is indented differently"},
		{"keys not indented", map[string]string{"output.conf": "[OUTPUT]\nName es\nMatch *\n"}, "line 2: key-value pairs must be indented more"},
		{"keys indented differently", map[string]string{"output.conf": "[OUTPUT]\n    Name es\n  Match *\n"}, "line 3: the indentation of the key-value pairs must be the same"},
		{"key outside a section", map[string]string{"output.conf": "Name es\n" + output}, "line 1: \"Name es\" is outside any section"},
		{"key without value", map[string]string{"output.conf": "[OUTPUT]\n    Name es\n    Match\n"}, "line 3: Match has no value"},
		{"include", map[string]string{"output.conf": "@INCLUDE other.conf\n" + output}, "line 1: @INCLUDE is not supported"},
		{"broken header", map[string]string{"output.conf": "[OUTPUT\n    Name es\n"}, `line 1: "[OUTPUT" is not a section header`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLogging(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseLoggingSize(t *testing.T) {
	// 5300 characters (runes, not bytes) pass; one more does not.
	comment := func(n int) string { return "#" + strings.Repeat("é", n-1) + "\n" }
	output := "[OUTPUT]\n    Name es\n    Match *\n"
	ok := map[string]string{"output.conf": output, "filters.conf": comment(MaxLoggingChars - len(output) - 1)}
	if _, err := ParseLogging(ok); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	ok["filters.conf"] = comment(MaxLoggingChars - len(output))
	if _, err := ParseLogging(ok); !errors.Is(err, ErrTooManyChars) {
		t.Errorf("over the limit: err = %v", err)
	}
}

func TestLoggingInvalidMessage(t *testing.T) {
	got := LoggingInvalidMessage(fmt.Errorf("amazon_data_firehose is not a supported output plugin"))
	want := "Disabled logging for pod due to invalid configmap. amazon_data_firehose is not a supported output plugin. Please fix the logging configmap"
	if got != want {
		t.Errorf("got %q", got)
	}
}

func TestCloudWatch(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		out                   Output
		region, group, prefix string
		autoCreate, ok        bool
	}{
		{"cloudwatch_logs", Output{Name: "cloudwatch_logs", Params: map[string]string{"region": "eu-west-1", "log_group_name": "g", "log_stream_prefix": "p-", "auto_create_group": "true"}}, "eu-west-1", "g", "p-", true, true},
		{"Go plugin, On", Output{Name: "CloudWatch", Params: map[string]string{"log_group_name": "g", "auto_create_group": "On"}}, "", "g", "", true, true},
		{"auto_create_group false", Output{Name: "cloudwatch_logs", Params: map[string]string{"auto_create_group": "False"}}, "", "", "", false, true},
		{"not CloudWatch", Output{Name: "es", Params: map[string]string{"region": "x"}}, "", "", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			region, group, prefix, autoCreate, ok := tc.out.CloudWatch()
			if region != tc.region || group != tc.group || prefix != tc.prefix || autoCreate != tc.autoCreate || ok != tc.ok {
				t.Errorf("CloudWatch() = %q %q %q %v %v", region, group, prefix, autoCreate, ok)
			}
		})
	}
}

func TestStreamName(t *testing.T) {
	const id = "62f145ede40f3e837263b510408ad1fdc686465de5c671fe3c260b44754e4348"
	want := "from-fluent-bit-kube.var.log.containers.ctfd-5d8f_default_frontend-" + id + ".log"
	for _, cid := range []string{id, "containerd://" + id} {
		if got := StreamName("from-fluent-bit-", "ctfd-5d8f", "default", "frontend", cid); got != want {
			t.Errorf("StreamName(%q) = %q, want %q", cid, got, want)
		}
	}
	named := Output{Name: "cloudwatch_logs", Params: map[string]string{"log_stream_name": "fixed"}}
	if got := named.Stream("p", "ns", "c", id); got != "fixed" {
		t.Errorf("Stream with log_stream_name = %q", got)
	}
	prefixed := Output{Name: "cloudwatch_logs", Params: map[string]string{"log_stream_prefix": "x-"}}
	if got := prefixed.Stream("p", "ns", "c", id); got != "x-kube.var.log.containers.p_ns_c-"+id+".log" {
		t.Errorf("Stream with prefix = %q", got)
	}
}
