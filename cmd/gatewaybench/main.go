// Command gatewaybench is the load test behind `make bench`: on loopback, in one run, it
// measures the upstream called directly, a minimal httputil.ReverseProxy that adds a
// Basic header, and the Application Gateway with Basic and with OAuth credentials. Each
// server runs as a separate process (this binary re-executed in a server mode), so the
// CPU time per request read from /proc/<pid>/stat is the proxy's alone.
//
//	go run ./cmd/gatewaybench [-duration 5s] [-warmup 1s] [-concurrency 32] [-payload 1024]
//
// "gatewaybench serve echo -addr 127.0.0.1:9000" runs a target that answers with the
// request it got as JSON, until its standard input closes (Ctrl-D) or it is interrupted.
//
// A fifth scenario adds a copy-buffer pool to the minimal proxy, for comparison.
//
// It prints requests/s, p50, p99, errors and proxy CPU microseconds per request for each
// scenario, then the gateway/minimal CPU ratios. It exits 1 on any request error, and
// also when a ratio exceeds -max-ratio if -strict is set.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "serve" {
		if err := serve(os.Args[2], os.Args[3:]); err != nil {
			fmt.Fprintln(os.Stderr, "gatewaybench serve:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent client connections")
	flag.IntVar(&o.payload, "payload", 1024, "response body size of the upstream in bytes")
	flag.IntVar(&o.proxyProcs, "proxy-procs", 1, "GOMAXPROCS of the proxy processes (pins each to one core's worth of threads)")
	flag.Float64Var(&o.maxRatio, "max-ratio", 1.2, "target: gateway CPU per request / minimal proxy CPU per request")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a ratio exceeds -max-ratio")
	flag.Parse()
	if o.duration <= 0 || o.duration > time.Minute || o.concurrency < 1 || o.concurrency > 1024 {
		fmt.Fprintln(os.Stderr, "gatewaybench: -duration must be in (0, 1m] and -concurrency in [1, 1024]")
		os.Exit(2)
	}
	fmt.Printf("gatewaybench: %d CPUs, %s, concurrency %d, %s per scenario after %s warm-up, %d-byte responses, proxies GOMAXPROCS=%d\n\n",
		runtime.NumCPU(), runtime.Version(), o.concurrency, o.duration, o.warmup, o.payload, o.proxyProcs)
	code, err := drive(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatewaybench:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

type options struct {
	duration, warmup time.Duration
	concurrency      int
	payload          int
	proxyProcs       int
	maxRatio         float64
	strict           bool
}
