package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// server is a process under test: this binary in a server mode, or nginx.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // nil for nginx, which is stopped with SIGQUIT
	addr  string
	stats string // the runtime counters and pprof listener of our own servers
	// exited receives the result of Wait when something else already waits (nginx).
	exited chan error
}

// start runs this binary in server mode with the given environment additions.
func start(mode string, env []string, args ...string) (*server, error) {
	return startFrom("", mode, env, args...)
}

// startFrom runs the server mode of the gatewaybench binary exe (empty: this one).
func startFrom(exe, mode string, env []string, args ...string) (*server, error) {
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(exe, append([]string{"serve", mode}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, stdin: stdin}
	br := bufio.NewReader(stdout)
	for {
		line, err := br.ReadString('\n')
		switch {
		case err != nil:
			s.stop()
			return nil, fmt.Errorf("%s server did not start: %q %v", mode, line, err)
		case strings.HasPrefix(line, "STATS "):
			s.stats = strings.TrimSpace(strings.TrimPrefix(line, "STATS "))
			continue
		case strings.HasPrefix(line, "ADDR "):
			s.addr = strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
			return s, nil
		default:
			s.stop()
			return nil, fmt.Errorf("%s server did not start: %q", mode, line)
		}
	}
}

// stop ends the process (closing stdin makes our servers exit; nginx gets SIGQUIT, its
// graceful shutdown) and kills it if it does not go.
func (s *server) stop() {
	if s.stdin != nil {
		_ = s.stdin.Close()
	} else {
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	}
	done := make(chan struct{})
	go func() {
		if s.exited != nil {
			<-s.exited
		} else {
			_ = s.cmd.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cpuTime is the user+system CPU time of the process and its children (nginx's worker)
// from /proc.
func (s *server) cpuTime() (time.Duration, error) {
	var total time.Duration
	pids := []int{s.cmd.Process.Pid}
	for len(pids) > 0 {
		pid := pids[0]
		pids = pids[1:]
		t, err := procCPU(pid)
		if err != nil {
			return 0, err
		}
		total += t
		pids = append(pids, children(pid)...)
	}
	return total, nil
}

// children lists pid's child processes (/proc/<pid>/task/<tid>/children).
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// runtimeStats reads the Go runtime's counters of one of our servers (nil for nginx).
func (s *server) runtimeStats() map[string]float64 {
	if s.stats == "" {
		return nil
	}
	resp, err := http.Get("http://" + s.stats + "/debug/runtime")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if f, err := strconv.ParseFloat(v, 64); ok && err == nil {
			m[k] = f
		}
	}
	return m
}

// syscalls is the number of read and write system calls (read, write, readv, sendto,
// ...) of the process and its children from /proc/<pid>/io: a count that, unlike CPU
// time, other work on the machine does not disturb.
func (s *server) syscalls() (reads, writes int64) {
	pids := []int{s.cmd.Process.Pid}
	for len(pids) > 0 {
		pid := pids[0]
		pids = pids[1:]
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				k, v, _ := strings.Cut(line, ": ")
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				switch k {
				case "syscr":
					reads += n
				case "syscw":
					writes += n
				}
			}
		}
		pids = append(pids, children(pid)...)
	}
	return reads, writes
}

func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are fields 14 and 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	const clkTck = 100 // USER_HZ, 100 on every Linux architecture Go supports
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// scenario is one row: a URL under load, the process whose CPU is measured (nil: none),
// and the direct scenario its added latency is taken against.
type scenario struct {
	name string
	url  string
	srv  *server
	base string
	tls  *tls.Config // for the direct TLS upstream
	// profile: fetch CPU and allocation profiles of srv during the measured window.
	profile bool
}

type result struct {
	requests int
	errors   int
	rps      float64
	p50, p99 time.Duration
	cpuPerRq time.Duration // -1 when not measured
	// readsPerRq and writesPerRq are the proxy's read and write system calls per request.
	readsPerRq, writesPerRq float64
	// allocsPerRq, gcPerKRq (GC cycles per 1000 requests) and gcShare (the runtime's
	// estimate of GC CPU over all CPU) come from a Go server's runtime/metrics; -1 for
	// nginx.
	allocsPerRq, gcPerKRq, gcShare float64
}

// load runs conns keep-alive connections against sc for warm-up plus duration and
// measures the last part.
func load(o options, conns int, sc scenario, profileTo string) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true, TLSClientConfig: sc.tls}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		errs      atomic.Int64
		wg        sync.WaitGroup
		lat       = make([][]time.Duration, conns)
	)
	for w := 0; w < conns; w++ {
		lat[w] = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for !stop.Load() {
				t0 := time.Now()
				resp, err := client.Get(sc.url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if !measuring.Load() {
					continue
				}
				if err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintf(os.Stderr, "%s: first error: %v\n", sc.name, err)
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	time.Sleep(o.warmup)
	var cpu0, cpu1 time.Duration
	var r0, w0, r1, w1 int64
	var err error
	if sc.srv != nil {
		if cpu0, err = sc.srv.cpuTime(); err != nil {
			return result{}, err
		}
		r0, w0 = sc.srv.syscalls()
	}
	var rt0, rt1 map[string]float64
	if sc.srv != nil {
		rt0 = sc.srv.runtimeStats()
	}
	var prof sync.WaitGroup
	if profileTo != "" {
		secs := max(1, int(o.duration.Seconds()))
		for _, p := range [...]string{"profile", "allocs"} {
			prof.Go(func() {
				if err := fetchProfile(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", sc.srv.stats, p, secs), profileTo+"."+p+".pprof"); err != nil {
					fmt.Fprintln(os.Stderr, "profile:", err)
				}
			})
		}
	}
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(o.duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	if sc.srv != nil {
		if cpu1, err = sc.srv.cpuTime(); err != nil {
			return result{}, err
		}
		r1, w1 = sc.srv.syscalls()
		rt1 = sc.srv.runtimeStats()
	}
	stop.Store(true)
	wg.Wait()
	prof.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := result{requests: len(all), errors: int(errs.Load()), cpuPerRq: -1, allocsPerRq: -1, gcPerKRq: -1, gcShare: -1}
	if len(all) > 0 {
		r.rps = float64(len(all)) / elapsed.Seconds()
		r.p50 = all[len(all)*50/100]
		r.p99 = all[len(all)*99/100]
		if sc.srv != nil {
			r.cpuPerRq = (cpu1 - cpu0) / time.Duration(len(all))
			r.readsPerRq = float64(r1-r0) / float64(len(all))
			r.writesPerRq = float64(w1-w0) / float64(len(all))
			if rt0 != nil && rt1 != nil {
				d := func(k string) float64 { return rt1[k] - rt0[k] }
				r.allocsPerRq = d("/gc/heap/allocs:objects") / float64(len(all))
				r.gcPerKRq = d("/gc/cycles/total:gc-cycles") * 1000 / float64(len(all))
				if t := d("/cpu/classes/total:cpu-seconds"); t > 0 {
					r.gcShare = d("/cpu/classes/gc/total:cpu-seconds") / t
				}
			}
		}
	}
	return r, nil
}

func fetchProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// Row names the report and the acceptance checks refer to.
const (
	rowDirect     = "upstream direct"
	rowDirectTLS  = "upstream direct, TLS client cert"
	rowNginx      = "nginx proxy_pass + Basic"
	rowMinimal    = "minimal ReverseProxy + Basic"
	rowPooled     = "minimal + copy-buffer pool"
	rowMinimalTLS = "minimal + client cert"
	rowGwBasic    = "gateway Basic"
	rowGwOAuth    = "gateway OAuth"
	rowGwCert     = "gateway client cert"
	rowGwParams   = "gateway Basic + parameters"
)

func drive(o options) (int, error) {
	dir, err := os.MkdirTemp("", "gatewaybench-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	var servers []*server
	var runFrom func(exe, mode string, env []string, args ...string) (*server, error)
	defer func() {
		for _, s := range slices.Backward(servers) {
			s.stop()
		}
	}()
	run := func(mode string, env []string, args ...string) (*server, error) {
		return runFrom("", mode, env, args...)
	}
	runFrom = func(exe, mode string, env []string, args ...string) (*server, error) {
		s, err := startFrom(exe, mode, env, args...)
		if err == nil {
			servers = append(servers, s)
		}
		return s, err
	}
	pki := filepath.Join(dir, "pki")
	if err := os.Mkdir(pki, 0o700); err != nil {
		return 1, err
	}
	if err := writePKI(pki); err != nil {
		return 1, err
	}
	procs := []string{"GOMAXPROCS=" + strconv.Itoa(o.proxyProcs)}
	if o.proxyProcs <= 0 {
		procs = nil
	}
	payload := strconv.Itoa(o.payload)
	up, err := run("upstream", nil, "-payload", payload)
	if err != nil {
		return 1, err
	}
	tup, err := run("upstream", nil, "-payload", payload, "-tls", "-pki", pki)
	if err != nil {
		return 1, err
	}
	upstream, tlsUpstream := "http://"+up.addr, "https://"+tup.addr
	directTLS, err := clientTLS(pki)
	if err != nil {
		return 1, err
	}
	scs := []scenario{
		{name: rowDirect, url: upstream + "/items"},
		{name: rowDirectTLS, url: tlsUpstream + "/items", tls: directTLS},
	}
	if o.nginx != "" {
		ngx, err := startNginx(o.nginx, filepath.Join(dir, "nginx"), up.addr)
		if err != nil {
			return 1, err
		}
		servers = append(servers, ngx)
		scs = append(scs, scenario{name: rowNginx, url: "http://" + ngx.addr + "/items", srv: ngx, base: rowDirect})
	}
	for _, m := range []struct{ mode, row, base string }{
		{"minimal", rowMinimal, rowDirect}, {"minimal-pooled", rowPooled, rowDirect}, {"minimal-cert", rowMinimalTLS, rowDirectTLS},
	} {
		s, err := run(m.mode, procs, "-upstream", upstream, "-tls-upstream", tlsUpstream, "-pki", pki)
		if err != nil {
			return 1, err
		}
		scs = append(scs, scenario{name: m.row, url: "http://" + s.addr + "/items", srv: s, base: m.base})
	}
	gwArgs := []string{"-upstream", upstream, "-tls-upstream", tlsUpstream, "-pki", pki, "-metrics=" + strconv.FormatBool(o.metrics)}
	type variant struct {
		suffix, exe string
		env         []string
	}
	gateways := []variant{{}}
	if o.variantEnv != "" {
		gateways = append(gateways, variant{suffix: " [" + o.variantEnv + "]", env: strings.Fields(o.variantEnv)})
	}
	if o.compareBinary != "" {
		gateways = append(gateways, variant{suffix: " [" + filepath.Base(o.compareBinary) + "]", exe: o.compareBinary})
	}
	for _, g := range gateways {
		gw, err := runFrom(g.exe, "gateway", append(slices.Clone(procs), g.env...), gwArgs...)
		if err != nil {
			return 1, err
		}
		base := "http://" + gw.addr
		scs = append(scs,
			scenario{name: rowGwBasic + g.suffix, url: base + "/bench-basic/orders/items", srv: gw, base: rowDirect, profile: true},
			scenario{name: rowGwOAuth + g.suffix, url: base + "/bench-oauth/orders/items", srv: gw, base: rowDirect, profile: true},
			scenario{name: rowGwCert + g.suffix, url: base + "/bench-cert/orders/items", srv: gw, base: rowDirectTLS, profile: true},
			scenario{name: rowGwParams + g.suffix, url: base + "/bench-params/orders/items?$top=10", srv: gw, base: rowDirect, profile: true},
		)
	}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return 2, fmt.Errorf("-only: %w", err)
		}
		scs = slices.DeleteFunc(scs, func(sc scenario) bool {
			return sc.name != rowDirect && sc.name != rowDirectTLS && !re.MatchString(sc.name)
		})
	}

	// Interleaved: every round runs every scenario at every connection count, starting
	// one scenario later each round, so a burst of other work on the machine lands on
	// different rows in different rounds instead of on one row.
	res := map[string][]result{}
	for r := range o.rounds {
		for _, c := range o.conns {
			for i := range scs {
				sc := scs[(i+r)%len(scs)]
				var profileTo string
				if o.profileDir != "" && (sc.profile || o.profileAll) && sc.srv != nil && sc.srv.stats != "" && r == 0 && c == o.concurrency {
					profileTo = filepath.Join(o.profileDir, strings.NewReplacer(" ", "-", "+", "", ",", "", "[", "", "]", "", "=", "").Replace(sc.name))
				}
				rs, err := load(o, c, sc, profileTo)
				if err != nil {
					return 1, err
				}
				res[key(sc.name, c)] = append(res[key(sc.name, c)], rs)
			}
		}
		if o.rounds > 1 {
			fmt.Fprintf(os.Stderr, "round %d/%d done\n", r+1, o.rounds)
		}
	}
	return report(o, scs, res), nil
}

func key(name string, conns int) string { return fmt.Sprintf("%s@%d", name, conns) }

// clientTLS is a client's configuration for the TLS upstream: the run's client
// certificate, trusting the run's CA (the load generator's direct row, the minimal proxy).
func clientTLS(pki string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "client.crt"), filepath.Join(pki, "client.key"))
	if err != nil {
		return nil, err
	}
	pool, err := caPool(pki)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
