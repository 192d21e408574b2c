package domain

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/appconnector/appconnector/"

// thirdParty reports an import outside the standard library and this module.
func thirdParty(imp string) bool {
	return !strings.HasPrefix(imp, module) && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
}

func stdlib(imp string) bool { return !strings.HasPrefix(imp, module) && !thirdParty(imp) }

// inTree reports imp is the module package dir or one below it.
func inTree(imp, dir string) bool {
	return imp == module+dir || strings.HasPrefix(imp, module+dir+"/")
}

// forbidden reports imp is one of the standard packages (or below them) that do I/O a
// pure layer must not.
func forbidden(imp string, pkgs ...string) bool {
	for _, f := range pkgs {
		if imp == f || strings.HasPrefix(imp, f+"/") {
			return true
		}
	}
	return false
}

// appLibraries are the only third-party packages app/ may use: small, pure, no I/O.
var appLibraries = []string{"github.com/google/uuid"}

// adapterImports lists every import of one adapter package by another (under adapters/)
// that is allowed. Anything else fails, in particular a client importing its server
// package: a binary that links the client (appctl) must not link the server.
var adapterImports = map[string][]string{
	"adapters/bolt":                {"adapters/internal/watchhub"},
	"adapters/compass":             {"adapters/compass/internal/connectorgql", "adapters/compass/internal/directorgql"},
	"adapters/memory":              {"adapters/internal/watchhub"},
	"adapters/storage":             {"adapters/bolt", "adapters/kubernetes", "adapters/memory", "adapters/vault"},
	"adapters/connectorapi":        {"adapters/connectorapi/schema", "adapters/httperr", "adapters/telemetry"},
	"adapters/connectorapi/client": {"adapters/connectorapi/schema", "adapters/httperr"},
	"adapters/eventing":            {"adapters/telemetry"},
	"adapters/gateway":             {"adapters/httperr", "adapters/telemetry"},
	"adapters/httpapi":             {"adapters/httperr", "adapters/manifest"},
	"adapters/httpapi/client":      {"adapters/httperr", "adapters/manifest"},
	"adapters/httpapi/metadataapi": {"adapters/httperr"},
	"adapters/kubernetes":          {"adapters/internal/watchhub", "adapters/manifest"},
	"adapters/vault":               {"adapters/internal/watchhub"},
}

// TestLayers keeps the hexagon's rules: domain packages import only the standard library
// (minus network code) and other domain packages; ports import only domain; app imports
// only ports, domain, the standard library (minus I/O) and appLibraries; an adapter
// imports another adapter package only where adapterImports allows it, and never app
// wiring from cmd/.
func TestLayers(t *testing.T) {
	rules := layerRules()
	for pattern, allowed := range rules {
		out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+pattern).Output()
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
				if !allowed(p.ImportPath, imp) {
					t.Errorf("%s imports %s, which its layer must not", p.ImportPath, imp)
				}
			}
		}
	}
}

// layerRules maps a package pattern (below the module) to what its packages may import.
func layerRules() map[string]func(pkg, imp string) bool {
	return map[string]func(pkg, imp string) bool{
		"domain/...": func(_, imp string) bool {
			return inTree(imp, "domain") ||
				stdlib(imp) && !forbidden(imp, "net/http", "net/rpc", "net/smtp", "os/exec", "database/sql", "crypto/tls", "log")
		},
		"ports": func(_, imp string) bool {
			return inTree(imp, "domain") || stdlib(imp)
		},
		"app/...": func(_, imp string) bool {
			return inTree(imp, "domain") || imp == module+"ports" || slices.Contains(appLibraries, imp) ||
				stdlib(imp) && !forbidden(imp, "net/http", "net/rpc", "net/smtp", "os", "database/sql", "crypto/tls", "syscall") &&
					imp != "net" && imp != "log"
		},
		"adapters/...": func(pkg, imp string) bool {
			switch {
			case inTree(imp, "cmd") || inTree(imp, "mocks"):
				return false
			case inTree(imp, "adapters"):
				return slices.Contains(adapterImports[strings.TrimPrefix(pkg, module)], strings.TrimPrefix(imp, module))
			}
			return true
		},
	}
}

// TestLayerRulesReject makes sure the rules can fail: known violations are refused and
// today's legitimate imports pass.
func TestLayerRulesReject(t *testing.T) {
	rules := layerRules()
	for _, c := range []struct{ pattern, pkg, imp string }{
		{"domain/...", module + "domain/gateway", "net/http"},
		{"domain/...", module + "domain/gateway", "github.com/google/uuid"},
		{"ports", module + "ports", module + "adapters/memory"},
		{"app/...", module + "app/gateway", "net/http"},
		{"app/...", module + "app/gateway", "os"},
		{"app/...", module + "app/gateway", module + "adapters/memory"},
		{"app/...", module + "app/gateway", module + "app/registry"},
		{"app/...", module + "app/gateway", "github.com/labstack/echo/v4"},
		{"adapters/...", module + "adapters/connectorapi/client", module + "adapters/connectorapi"},
		{"adapters/...", module + "adapters/httpapi/client", module + "adapters/httpapi"},
		{"adapters/...", module + "adapters/gateway", module + "adapters/bolt"},
		{"adapters/...", module + "adapters/gateway", module + "cmd/internal/runner"},
	} {
		if rules[c.pattern](c.pkg, c.imp) {
			t.Errorf("rule %s lets %s import %s", c.pattern, c.pkg, c.imp)
		}
	}
	for _, c := range []struct{ pattern, pkg, imp string }{
		{"app/...", module + "app/gateway", "log/slog"},
		{"app/...", module + "app/gateway", "net/url"},
		{"app/...", module + "app/connector", "github.com/google/uuid"},
		{"adapters/...", module + "adapters/httpapi", "github.com/labstack/echo/v4"},
		{"adapters/...", module + "adapters/connectorapi/client", module + "adapters/connectorapi/schema"},
	} {
		if !rules[c.pattern](c.pkg, c.imp) {
			t.Errorf("rule %s refuses %s importing %s", c.pattern, c.pkg, c.imp)
		}
	}
}
