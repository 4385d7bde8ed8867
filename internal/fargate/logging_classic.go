package fargate

import (
	"fmt"
	"strings"
)

// rawSection is a section of a Fluent Bit classic-mode file as written.
type rawSection struct {
	kind   string // upper case: FILTER, OUTPUT, PARSER…
	line   int
	params []Param
}

// parseClassic reads Fluent Bit's classic configuration format
// (docs.fluentbit.io, "Configuration File", classic mode): [SECTION]
// headers, then "Key value" lines split at the first run of blanks;
// blank lines and lines starting with # are ignored. Fluent Bit wants one
// indentation for all headers and one, deeper, for all key-value lines,
// and so does Fargate's validation (UG fargate-logging.adoc); the
// indentation is compared as written, so tabs and spaces do not mix.
func parseClassic(file, text string) ([]rawSection, error) {
	var sections []rawSection
	var headerIndent, keyIndent *string
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := line[:len(line)-len(trimmed)]
		if strings.HasPrefix(trimmed, "@") {
			directive, _, _ := strings.Cut(trimmed, " ")
			return nil, fmt.Errorf("%s: line %d: %s is not supported", file, n, directive)
		}
		if strings.HasPrefix(trimmed, "[") {
			if !strings.HasSuffix(trimmed, "]") || len(trimmed) < 3 {
				return nil, fmt.Errorf("%s: line %d: %q is not a section header such as [OUTPUT]", file, n, trimmed)
			}
			if headerIndent == nil {
				headerIndent = &indent
			} else if indent != *headerIndent {
				return nil, fmt.Errorf("%s: line %d: %s is indented differently from the section headers before it", file, n, trimmed)
			}
			kind := strings.ToUpper(strings.TrimSpace(trimmed[1 : len(trimmed)-1]))
			sections = append(sections, rawSection{kind: kind, line: n})
			continue
		}
		if len(sections) == 0 {
			return nil, fmt.Errorf("%s: line %d: %q is outside any section", file, n, trimmed)
		}
		if keyIndent == nil {
			if len(indent) <= len(*headerIndent) || !strings.HasPrefix(indent, *headerIndent) {
				return nil, fmt.Errorf("%s: line %d: key-value pairs must be indented more than the section headers", file, n)
			}
			keyIndent = &indent
		} else if indent != *keyIndent {
			return nil, fmt.Errorf("%s: line %d: the indentation of the key-value pairs must be the same throughout the file", file, n)
		}
		key, value, _ := strings.Cut(trimmed, " ")
		if k, v, ok := strings.Cut(trimmed, "\t"); ok && len(k) < len(key) {
			key, value = k, v
		}
		value = strings.TrimLeft(value, " \t")
		if value == "" {
			return nil, fmt.Errorf("%s: line %d: %s has no value", file, n, key)
		}
		last := &sections[len(sections)-1]
		last.params = append(last.params, Param{Key: key, Value: value})
	}
	return sections, nil
}
