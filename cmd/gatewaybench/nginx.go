package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// nginxConf is the reference proxy's configuration: one worker (the counterpart of
// GOMAXPROCS=1 for the Go proxies: one core's worth of event loop), proxy_pass to the
// same upstream over a keep-alive pool (upstream keepalive, HTTP/1.1, no Connection
// header), and a fixed Basic Authorization header, as the minimal Go proxy. Keep-alive
// request limits are lifted on both sides, as Go has none. Everything it writes stays
// under dir.
const nginxConf = `daemon off;
master_process on;
worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log error;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path {{dir}}/tmp/body;
	proxy_temp_path {{dir}}/tmp/proxy;
	fastcgi_temp_path {{dir}}/tmp/fastcgi;
	uwsgi_temp_path {{dir}}/tmp/uwsgi;
	scgi_temp_path {{dir}}/tmp/scgi;
	keepalive_requests 1000000;
	upstream target {
		server {{upstream}};
		keepalive 256;
		keepalive_requests 1000000;
	}
	server {
		listen {{listen}};
		location / {
			proxy_pass http://target;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Authorization "{{auth}}";
		}
	}
}
`

// startNginx writes the configuration into dir and starts nginx in the foreground; it
// returns once nginx answers through to the upstream.
func startNginx(bin, dir, upstream string) (*server, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	// As root the worker runs as nobody, which must be able to enter the temp paths.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nginx binds it next; on loopback nothing else takes it meanwhile
	conf := strings.NewReplacer("{{dir}}", dir, "{{upstream}}", upstream, "{{listen}}", addr, "{{auth}}", basicAuth()).Replace(nginxConf)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	s := &server{cmd: cmd, addr: addr}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/items")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.exited = exited
				return s, nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return nil, fmt.Errorf("nginx exited (%v): %s", werr, strings.TrimSpace(string(log)))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("nginx did not answer on %s: %v", addr, err)
		}
	}
}

// nginxVersion is "nginx/1.22.1" or the like, for the report's header.
func nginxVersion(bin string) string {
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		return "nginx (version unknown)"
	}
	v := strings.TrimSpace(string(out))
	if i := strings.LastIndex(v, ": "); i >= 0 {
		v = v[i+2:]
	}
	return v
}
