package problem_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The simulator's rules say what went wrong with problem.Error and leave
// DR's HTTP statuses to the HTTP layer: no non-test file of state or
// delivery imports apierror.
func TestRulesKnowNoHTTPStatuses(t *testing.T) {
	for _, dir := range []string{"../state", "../delivery"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasSuffix(path, "/simulator/internal/apierror") {
					t.Errorf("%s imports %s: return a problem.Error; the api package maps it to DR's status", f, path)
				}
			}
		}
	}
}
