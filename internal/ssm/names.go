package ssm

import (
	"strconv"
	"strings"
)

// Limits of parameter names, as Parameter Store documents them.
const (
	maxNameLength   = 2048
	maxHierarchy    = 15
	publicPrefix    = "/aws/"
	reservedMessage = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ` +
		`If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
	pathMessage = `Parameter path: can't be prefixed with "aws" or "ssm" (case-insensitive) except global parameter name path prefixed with "aws" (case-sensitive). ` +
		`It should always begin with / symbol.It consists of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
)

// IsPublic says whether a name is one of AWS's public parameters
// (/aws/service/...), which every account reads and none writes.
func IsPublic(name string) bool { return strings.HasPrefix(name, publicPrefix) }

// validChars says whether s is made of the characters names may have.
func validChars(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-', r == '/':
		default:
			return false
		}
	}
	return true
}

// checkName holds a parameter name as PutParameter and DeleteParameter
// take it: an account's own parameter, never under "aws" or "ssm".
func checkName(name string) error {
	if err := CheckLength("name", name, 1, maxNameLength); err != nil {
		return err
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return Errorf(CodeValidation, "Parameter name must be a fully qualified name.")
	}
	first := strings.ToLower(strings.SplitN(strings.TrimPrefix(name, "/"), "/", 2)[0])
	switch {
	case strings.HasPrefix(name, "/") && strings.HasPrefix(first, "aws"):
		return Errorf(CodeAccessDenied, "No access to reserved parameter name: %s.", name)
	case strings.HasPrefix(name, "/") && strings.HasPrefix(first, "ssm"):
		return Errorf(CodeValidation, `Parameter name: can't be prefixed with "ssm" (case-insensitive). `+
			`If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`)
	case strings.HasPrefix(first, "aws"), strings.HasPrefix(first, "ssm"):
		return Errorf(CodeValidation, `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`)
	case !validChars(name), strings.Contains(name, "//"), strings.HasSuffix(name, "/"):
		return Errorf(CodeValidation, reservedMessage)
	case strings.Count(name, "/") > maxHierarchy:
		return Errorf(CodeHierarchyLevelLimit, "A hierarchy can have a maximum of 15 levels. For more information, "+
			"see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.")
	}
	return nil
}

// checkPath holds a hierarchy path as GetParametersByPath and the Path
// filter take it: "/" alone, or "/a/b" (a trailing slash is allowed).
func checkPath(path string) error {
	if err := CheckLength("path", path, 1, maxNameLength); err != nil {
		return err
	}
	first := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 2)[0]
	lower := strings.ToLower(first)
	if !strings.HasPrefix(path, "/") || !validChars(path) || strings.Contains(path, "//") ||
		strings.HasPrefix(lower, "ssm") || (strings.HasPrefix(lower, "aws") && !strings.HasPrefix(first, "aws")) {
		return Errorf(CodeValidation, pathMessage)
	}
	return nil
}

// reference is a name as reading operations take it: the name, or an
// ARN of it, with an optional ":version" or ":label" selector.
type reference struct {
	Given    string // as the request named it
	Name     string
	Selector string // "" or ":3"
	Version  int64  // 0 for the latest
}

// parseReference reads a name a GetParameter(s) request names. A selector
// that is not a version (a label: keks keeps none) finds nothing.
func parseReference(given string) (reference, error) {
	if err := CheckLength("name", given, 1, maxNameLength); err != nil {
		return reference{}, err
	}
	ref := reference{Given: given, Name: given}
	if strings.HasPrefix(given, "arn:") {
		// arn:aws:ssm:<region>:<account>:parameter/<name>[:selector]
		parts := strings.SplitN(given, ":", 7)
		if len(parts) < 6 || !strings.HasPrefix(parts[5], "parameter/") {
			return ref, notFound(given)
		}
		rest := strings.TrimPrefix(parts[5], "parameter/")
		if strings.Contains(rest, "/") {
			rest = "/" + rest
		}
		ref.Name = rest
		if len(parts) == 7 {
			ref.Name += ":" + parts[6]
		}
	}
	if name, sel, ok := strings.Cut(ref.Name, ":"); ok {
		ref.Name, ref.Selector = name, ":"+sel
		v, err := strconv.ParseInt(sel, 10, 64)
		if err != nil || v < 1 {
			return ref, notFound(given)
		}
		ref.Version = v
	}
	if !validChars(ref.Name) {
		return ref, notFound(given)
	}
	return ref, nil
}

// ARN is a parameter's ARN: "parameter/" then its name without a leading
// slash; public parameters have no account.
func ARN(region, account, name string) string {
	if IsPublic(name) {
		account = ""
	}
	return "arn:aws:ssm:" + region + ":" + account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// underPath says whether name is in path's hierarchy: directly (one
// level), or anywhere below it when recursive.
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	return recursive || !strings.Contains(rest, "/")
}
