package stack_test

import (
	"os/exec"
	"strings"
	"testing"
)

// No library package depends on the examples: the stack takes its
// merchant from the caller (cmd/drsim and the tests pass the reference
// one), so only examples and commands may import examples/.
func TestNoLibraryPackageImportsExamples(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "github.com/drsim/drsim/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/drsim/drsim/"
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list listed %d packages, want the module's", len(lines))
	}
	for _, line := range lines {
		pkg, deps, _ := strings.Cut(line, " ")
		if strings.HasPrefix(pkg, module+"examples/") || strings.HasPrefix(pkg, module+"cmd/") {
			continue
		}
		for _, d := range strings.Fields(deps) {
			if strings.HasPrefix(d, module+"examples/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
