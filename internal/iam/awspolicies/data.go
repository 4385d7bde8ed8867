package awspolicies

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

//go:embed data/*.json
var dataFS embed.FS

// policyFile is the layout of one data/<Name>.json file.
type policyFile struct {
	Name             string          `json:"name"`
	Path             string          `json:"path"`
	ARN              string          `json:"arn"`
	ID               string          `json:"id"`
	DefaultVersionID string          `json:"defaultVersionId"`
	Description      string          `json:"description"`
	CreateDate       time.Time       `json:"createDate"`
	UpdateDate       time.Time       `json:"updateDate"`
	Document         json.RawMessage `json:"document"`
	Source           dataSource      `json:"source"`
}

// dataSource records where a file's data was taken from. It is kept with the
// data for reviewers and checked by the tests, but not exported.
type dataSource struct {
	Document    string `json:"document"`
	Metadata    string `json:"metadata"`
	Description string `json:"description"`
}

func decodeAll() ([]Policy, error) {
	names, err := fs.Glob(dataFS, "data/*.json")
	if err != nil {
		return nil, err
	}
	policies := make([]Policy, 0, len(names))
	for _, name := range names {
		raw, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := decodePolicy(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".json"); p.Name != want {
			return nil, fmt.Errorf("%s: holds policy %q", name, p.Name)
		}
		policies = append(policies, p)
	}
	return policies, nil
}

func decodePolicy(raw []byte) (Policy, error) {
	var f policyFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return Policy{}, err
	}
	var doc bytes.Buffer
	if err := json.Indent(&doc, f.Document, "", "    "); err != nil {
		return Policy{}, fmt.Errorf("document: %w", err)
	}
	return Policy{
		Name:             f.Name,
		Path:             f.Path,
		ARN:              f.ARN,
		ID:               f.ID,
		DefaultVersionID: f.DefaultVersionID,
		Description:      f.Description,
		CreateDate:       f.CreateDate,
		UpdateDate:       f.UpdateDate,
		Document:         doc.String(),
	}, nil
}
