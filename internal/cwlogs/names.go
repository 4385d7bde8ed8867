package cwlogs

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/keksdev/keks/internal/awserr"
)

// CloudWatch's patterns for names, as the API model has them.
const (
	groupNamePattern  = `[\.\-_/#A-Za-z0-9]+`
	streamNamePattern = `[^:*]*`
	identifierPattern = `[\w#+=/:,.@-]*`
	maxNameLength     = 512
)

var (
	groupNameRE  = regexp.MustCompile(`^` + groupNamePattern + `$`)
	identifierRE = regexp.MustCompile(`^` + identifierPattern + `$`)
)

// CheckGroupName holds a log group name (member field) to CloudWatch's
// rules: 1-512 characters of letters, digits and . - _ / #.
func CheckGroupName(field, name string) error {
	if name == "" {
		return Missing(field)
	}
	if len(name) > maxNameLength {
		return validationf(name, field, fmt.Sprintf("Member must have length less than or equal to %d", maxNameLength))
	}
	if !groupNameRE.MatchString(name) {
		return validationf(name, field, "Member must satisfy regular expression pattern: "+groupNamePattern)
	}
	return nil
}

// CheckStreamName holds a log stream name to CloudWatch's rules: 1-512
// characters, none of them ':' or '*'.
func CheckStreamName(field, name string) error {
	if name == "" {
		return Missing(field)
	}
	if utf8.RuneCountInString(name) > maxNameLength {
		return validationf(name, field, fmt.Sprintf("Member must have length less than or equal to %d", maxNameLength))
	}
	if strings.ContainsAny(name, ":*") || !utf8.ValidString(name) {
		return validationf(name, field, "Member must satisfy regular expression pattern: "+streamNamePattern)
	}
	return nil
}

// GroupARN is a log group's ARN as logGroupArn and the tagging APIs have
// it; the "arn" member of DescribeLogGroups adds ":*".
func GroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", region, account, name)
}

// StreamARN is a log stream's ARN.
func StreamARN(region, account, group, stream string) string {
	return GroupARN(region, account, group) + ":log-stream:" + stream
}

// GroupRef names a log group as requests do: logGroupName, or
// logGroupIdentifier (a name or an ARN), exactly one of them.
type GroupRef struct {
	Name       string
	Identifier string
}

// resolve is the name of the group a reference names in the caller's
// account and region. An ARN of another account or region names a group
// keks does not have.
func (r GroupRef) resolve(account, region string) (string, error) {
	switch {
	case r.Name != "" && r.Identifier != "":
		return "", Errorf(CodeInvalidParameter, "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case r.Name != "":
		return r.Name, CheckGroupName("logGroupName", r.Name)
	case r.Identifier == "":
		return "", Errorf(CodeInvalidParameter, "Either the logGroupName or the logGroupIdentifier parameter must be specified.")
	}
	id := r.Identifier
	if len(id) > 2048 || !identifierRE.MatchString(id) {
		return "", validationf(id, "logGroupIdentifier", "Member must satisfy regular expression pattern: "+identifierPattern)
	}
	if !strings.HasPrefix(id, "arn:") {
		return id, CheckGroupName("logGroupIdentifier", id)
	}
	arnRegion, arnAccount, name, ok := ParseGroupARN(id)
	if !ok {
		return "", Errorf(CodeInvalidParameter, "The specified logGroupIdentifier is not a valid log group ARN: %s", awserr.Echo(id))
	}
	if arnRegion != region || arnAccount != account {
		return "", errNoGroup
	}
	return name, CheckGroupName("logGroupIdentifier", name)
}

// ParseGroupARN reads arn:<partition>:logs:<region>:<account>:log-group:<name>,
// with or without the ":*" that DescribeLogGroups' arn member carries.
func ParseGroupARN(arn string) (region, account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" {
		return "", "", "", false
	}
	name = strings.TrimSuffix(parts[6], ":*")
	if name == "" || strings.Contains(name, ":") {
		return "", "", "", false
	}
	return parts[3], parts[4], name, true
}
