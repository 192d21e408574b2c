package realservers

import (
	"net/http"
	"strings"
	"testing"
)

func health(t *testing.T, v *Vault) int {
	t.Helper()
	resp, err := http.Get(v.Addr + "/v1/sys/health")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestVaultDevServerSealsAndUnseals(t *testing.T) {
	v := StartVault(t)
	if v.UnsealKey == "" {
		t.Fatal("no unseal key captured")
	}
	out := v.CLI(t, "kv", "put", "secret/probe", "k=v")
	if !strings.Contains(out, "version") {
		t.Fatalf("kv put printed %q", out)
	}

	v.Seal(t)
	if code := health(t, v); code != http.StatusServiceUnavailable {
		t.Fatalf("sealed health answered %d, want 503", code)
	}
	v.Unseal(t)
	if got := strings.TrimSpace(v.CLI(t, "kv", "get", "-field=k", "secret/probe")); got != "v" {
		t.Fatalf("after unseal kv get = %q, want the value written before sealing", got)
	}

	v.Stop()
	if _, err := http.Get(v.Addr + "/v1/sys/health"); err == nil {
		t.Fatal("server still answers after Stop")
	}
}
