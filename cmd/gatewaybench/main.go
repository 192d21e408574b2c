// Command gatewaybench is the load test behind `make bench`: on loopback, in one run, it
// measures the upstream called directly, nginx's proxy_pass (when an nginx binary is
// given or on PATH), minimal httputil.ReverseProxy proxies and the Application Gateway
// with Basic, OAuth, client-certificate and request-parameter entries, metrics on. Each
// server runs as a separate process (this binary re-executed in a server mode, or
// nginx), so the CPU time per request read from /proc/<pid>/stat is the proxy's alone.
//
//	go run ./cmd/gatewaybench [-duration 5s] [-warmup 1s] [-concurrency 32] [-payload 1024]
//	    [-nginx PATH] [-rounds 3] [-profile DIR] [-variant-env GOGC=200]
//
// Every scenario runs at 1 connection (latency) and at -concurrency connections
// (throughput and CPU), interleaved, -rounds times; the report gives medians over the
// rounds with the range of CPU per request, the latency each proxy adds to the direct
// call at the median, and the gateway's CPU ratios to the minimal proxy and to nginx.
//
// "gatewaybench serve echo -addr 127.0.0.1:9000" runs a target that answers with the
// request it got as JSON, until its standard input closes (Ctrl-D) or it is interrupted.
//
// It exits 1 on any request error, and also when a target is missed if -strict is set.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
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
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario and connection count")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each measurement")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent client connections of the throughput runs")
	flag.BoolVar(&o.single, "single", true, "also run every scenario at one connection (the latency runs)")
	flag.IntVar(&o.payload, "payload", 1024, "response body size of the upstream in bytes")
	flag.IntVar(&o.proxyProcs, "proxy-procs", 1, "GOMAXPROCS of the Go proxy processes (nginx runs one worker); 0 leaves it unset")
	flag.Float64Var(&o.maxRatio, "max-ratio", 0.7, "target: gateway CPU per request / minimal proxy CPU per request (Basic, OAuth, client certificate)")
	flag.Float64Var(&o.maxNginx, "max-nginx-ratio", 2, "stretch target: gateway CPU per request / nginx CPU per request")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	flag.StringVar(&o.nginx, "nginx", "", "nginx binary for the nginx row (default: nginx on PATH or /usr/sbin/nginx; \"none\": no nginx row)")
	flag.IntVar(&o.rounds, "rounds", 3, "measure every scenario this many times, interleaved")
	flag.BoolVar(&o.metrics, "metrics", true, "gateway with metrics on (telemetry wired as in the binaries)")
	flag.BoolVar(&o.profileAll, "profile-all", false, "with -profile, profile the minimal Go proxies too")
	flag.StringVar(&o.profileDir, "profile", "", "write the gateway's CPU and allocation profiles of the first round's throughput runs into this directory")
	flag.StringVar(&o.variantEnv, "variant-env", "", "also run a second gateway process with these environment settings, e.g. \"GOGC=200 GOMEMLIMIT=200MiB\"")
	flag.StringVar(&o.compareBinary, "compare-binary", "", "also run the gateway rows on the gateway of this gatewaybench binary (an A/B test of two versions in one run)")
	flag.StringVar(&o.only, "only", "", "run only the rows whose name matches this regular expression (besides the direct ones)")
	flag.Parse()
	if o.duration <= 0 || o.duration > time.Minute || o.concurrency < 1 || o.concurrency > 1024 || o.rounds < 1 || o.rounds > 50 {
		fmt.Fprintln(os.Stderr, "gatewaybench: -duration must be in (0, 1m], -concurrency in [1, 1024] and -rounds in [1, 50]")
		os.Exit(2)
	}
	switch o.nginx {
	case "none":
		o.nginx = ""
	case "":
		o.nginx = findNginx()
		if o.nginx == "" {
			fmt.Fprintln(os.Stderr, "gatewaybench: no nginx found, the nginx row is left out (hack/nginx.sh installs it; make bench runs it)")
		}
	default:
		if _, err := exec.LookPath(o.nginx); err != nil {
			fmt.Fprintf(os.Stderr, "gatewaybench: -nginx %s: %v\n", o.nginx, err)
			os.Exit(2)
		}
	}
	if o.single && o.concurrency != 1 {
		o.conns = []int{1}
	}
	o.conns = append(o.conns, o.concurrency)
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gatewaybench:", err)
			os.Exit(2)
		}
	}
	ngx := "no nginx"
	if o.nginx != "" {
		ngx = nginxVersion(o.nginx) + " (1 worker)"
	}
	fmt.Printf("gatewaybench: %d CPUs, %s, %s, connections %v, %s per measurement after %s warm-up, %d round(s), %d-byte responses, Go proxies GOMAXPROCS=%d, gateway metrics %v\n\n",
		runtime.NumCPU(), runtime.Version(), ngx, o.conns, o.duration, o.warmup, o.rounds, o.payload, o.proxyProcs, o.metrics)
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
	single           bool
	conns            []int
	payload          int
	proxyProcs       int
	maxRatio         float64
	maxNginx         float64
	strict           bool
	nginx            string
	rounds           int
	metrics          bool
	profileDir       string
	variantEnv       string
	compareBinary    string
	profileAll       bool
	only             string
}

// findNginx looks where hack/nginx.sh installs it, for runs without make.
func findNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	return ""
}
