package awspolicies

import (
	"encoding/json"
	"testing"
)

// statement holds the parts of a policy statement the tests look at.
type statement struct {
	Effect    string
	Action    json.RawMessage
	NotAction json.RawMessage
	Resource  json.RawMessage
}

func TestDocumentsAreIAMPolicies(t *testing.T) {
	for _, p := range All() {
		var doc struct {
			Version   string
			Statement json.RawMessage
		}
		if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
			t.Errorf("%s: document is not JSON: %v", p.Name, err)
			continue
		}
		if doc.Version != "2012-10-17" {
			t.Errorf("%s: Version %q", p.Name, doc.Version)
		}
		statements, err := decodeStatements(doc.Statement)
		if err != nil || len(statements) == 0 {
			t.Errorf("%s: no statements (%v)", p.Name, err)
		}
		for i, s := range statements {
			if s.Effect != "Allow" && s.Effect != "Deny" {
				t.Errorf("%s: statement %d has Effect %q", p.Name, i, s.Effect)
			}
			if s.Action == nil && s.NotAction == nil {
				t.Errorf("%s: statement %d has no Action", p.Name, i)
			}
			if s.Resource == nil {
				t.Errorf("%s: statement %d has no Resource", p.Name, i)
			}
		}
	}
}

// decodeStatements accepts a Statement that is one object or a list of them.
func decodeStatements(raw json.RawMessage) ([]statement, error) {
	var list []statement
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one statement
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []statement{one}, nil
}

func TestAdministratorAccessAllowsEverything(t *testing.T) {
	p, _ := Lookup("arn:aws:iam::aws:policy/AdministratorAccess")
	var doc struct{ Statement []statement }
	if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 || string(doc.Statement[0].Action) != `"*"` || string(doc.Statement[0].Resource) != `"*"` {
		t.Errorf("AdministratorAccess document = %s", p.Document)
	}
}
