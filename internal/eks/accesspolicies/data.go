package accesspolicies

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed data/*.json
var dataFS embed.FS

// policyFile is the layout of one data/<Name>.json file.
type policyFile struct {
	Name   string `json:"name"`
	ARN    string `json:"arn"`
	Rules  []Rule `json:"rules"`
	Source string `json:"source"` // the published page the rules come from
}

func decodeAll() ([]Policy, error) {
	files, err := readFiles()
	if err != nil {
		return nil, err
	}
	policies := make([]Policy, len(files))
	for i, f := range files {
		policies[i] = Policy{Name: f.Name, ARN: f.ARN, Rules: f.Rules}
	}
	return policies, nil
}

func readFiles() ([]policyFile, error) {
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil {
		return nil, err
	}
	files := make([]policyFile, 0, len(names))
	for _, name := range names {
		raw, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var f policyFile
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); f.Name != want {
			return nil, fmt.Errorf("%s: holds policy %q", name, f.Name)
		}
		files = append(files, f)
	}
	return files, nil
}
