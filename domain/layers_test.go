package domain

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the hexagon's rules: domain packages import only the standard library
// (minus network code) and other domain packages; ports import only domain.
func TestLayers(t *testing.T) {
	forbiddenStd := []string{"net/http", "net/rpc", "net/smtp", "os/exec", "database/sql", "crypto/tls", "log"}
	rules := map[string]func(imp string) bool{
		"github.com/appconnector/appconnector/domain/...": func(imp string) bool {
			if strings.HasPrefix(imp, "github.com/appconnector/appconnector/domain") {
				return true
			}
			if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				return false // any third-party module
			}
			for _, f := range forbiddenStd {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					return false
				}
			}
			return true
		},
		"github.com/appconnector/appconnector/ports": func(imp string) bool {
			return strings.HasPrefix(imp, "github.com/appconnector/appconnector/domain") || !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
		},
	}
	for pattern, allowed := range rules {
		out, err := exec.Command("go", "list", "-json=ImportPath,Imports", pattern).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pattern, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for {
			var p struct {
				ImportPath string
				Imports    []string
			}
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			for _, imp := range p.Imports {
				if !allowed(imp) {
					t.Errorf("%s imports %s, which its layer must not", p.ImportPath, imp)
				}
			}
		}
	}
}
