// Command echo-server is a stand-in for an external system in the README quickstart: it
// answers every request with a JSON description of what it received, and requires HTTP
// Basic authentication (by default user "shop-user", password "change-me", as examples/secret.yaml) so you can see that the gateway
// injected the credentials.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	user := flag.String("user", "shop-user", "expected Basic username")
	pass := flag.String("password", "change-me", "expected Basic password")
	flag.Parse()

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if !ok || u != *user || p != *pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="echo-server"`)
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "missing or wrong Basic credentials"})
			return
		}
		// The credentials themselves are not echoed: seeing who authenticated is enough.
		r.Header.Del("Authorization")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"method":        r.Method,
			"path":          r.URL.Path,
			"query":         r.URL.RawQuery,
			"authenticated": u,
			"headers":       r.Header,
		})
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("echo-server listening on http://%s (expects Basic user %q)", *addr, *user)
	log.Fatal(srv.ListenAndServe())
}
