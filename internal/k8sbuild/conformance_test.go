package k8sbuild

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The tools file keeps every package the suite's main test file imports,
// leaves out the standard library, and is valid Go that is never built.
func TestToolsFileRecordsTheSuitesImports(t *testing.T) {
	src := filepath.Join(t.TempDir(), "e2e_test.go")
	if err := os.WriteFile(src, []byte(`package e2e

import (
	"flag"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"k8s.io/kubernetes/test/e2e/framework"
	_ "k8s.io/kubernetes/test/e2e/apps"
)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	imports, err := suiteImports(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"github.com/onsi/ginkgo/v2", "k8s.io/kubernetes/test/e2e/apps", "k8s.io/kubernetes/test/e2e/framework"}
	if !slices.Equal(imports, want) {
		t.Fatalf("imports %v, want %v", imports, want)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "tools.go", toolsFile(append([]string{ginkgoCLI}, imports...)), parser.ParseComments)
	if err != nil {
		t.Fatalf("tools file: %v", err)
	}
	if len(f.Imports) != 4 || f.Name.Name != "main" || len(f.Comments) == 0 || f.Comments[0].List[0].Text != "//go:build tools" {
		t.Fatalf("tools file: package %s, %d imports, comments %v", f.Name.Name, len(f.Imports), f.Comments)
	}
}
