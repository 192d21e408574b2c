package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkLoopback measures one proxied GET end to end over real loopback connections
// (client, gateway listener, target). Unlike BenchmarkHandler it includes what the
// gateway does on the client's connection: flushing and moving write deadlines. The
// allocations counted are the whole process's: client and target included.
func BenchmarkLoopback(b *testing.B) {
	body := strings.Repeat("x", 1024)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, body) }))
	defer up.Close()
	for _, mode := range benchModes {
		b.Run("get"+mode.name, func(b *testing.B) {
			e := newEnv(b, mode.config(b))
			e.put(b, app("bench", up.URL+"/api", nil))
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			defer client.CloseIdleConnections()
			url := e.standalone.URL + "/bench/orders-api/v1/orders/4711?$top=10"
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK || n != int64(len(body)) {
					b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
				}
			}
			reportCPU(b, cpu)
		})
	}
}
