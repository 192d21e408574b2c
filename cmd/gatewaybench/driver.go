package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proc is a server process started from this binary.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

func start(mode string, procs int, args ...string) (*proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"serve", mode}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
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
	p := &proc{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		p.stop()
		return nil, fmt.Errorf("%s server did not start: %q %v", mode, line, err)
	}
	p.addr = strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
	return p, nil
}

// stop closes the process's stdin, which makes it exit, and kills it if it does not.
func (p *proc) stop() {
	_ = p.stdin.Close()
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cpuTime is the process's user+system CPU time from /proc/<pid>/stat.
func (p *proc) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
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

type result struct {
	name     string
	requests int
	errors   int
	rps      float64
	p50, p99 time.Duration
	cpuPerRq time.Duration // -1 when not measured
}

// load runs the load against url for warm-up plus duration and measures the last part.
func load(o options, url string, p *proc) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		errs      atomic.Int64
		wg        sync.WaitGroup
		lat       = make([][]time.Duration, o.concurrency)
	)
	for w := 0; w < o.concurrency; w++ {
		lat[w] = make([]time.Duration, 0, 1<<16)
		wg.Go(func() {
			for !stop.Load() {
				t0 := time.Now()
				resp, err := client.Get(url)
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
						fmt.Fprintln(os.Stderr, "first error:", err)
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	time.Sleep(o.warmup)
	var cpu0 time.Duration
	var err error
	if p != nil {
		if cpu0, err = p.cpuTime(); err != nil {
			return result{}, err
		}
	}
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(o.duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	var cpu1 time.Duration
	if p != nil {
		if cpu1, err = p.cpuTime(); err != nil {
			return result{}, err
		}
	}
	stop.Store(true)
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	r := result{requests: len(all), errors: int(errs.Load()), cpuPerRq: -1}
	if len(all) > 0 {
		r.rps = float64(len(all)) / elapsed.Seconds()
		r.p50 = all[len(all)*50/100]
		r.p99 = all[len(all)*99/100]
		if p != nil {
			r.cpuPerRq = (cpu1 - cpu0) / time.Duration(len(all))
		}
	}
	return r, nil
}

func drive(o options) (int, error) {
	up, err := start("upstream", 0, "-payload", strconv.Itoa(o.payload))
	if err != nil {
		return 1, err
	}
	defer up.stop()
	upstream := "http://" + up.addr

	var results []result
	run := func(name, url string, p *proc) error {
		r, err := load(o, url, p)
		if err != nil {
			return err
		}
		r.name = name
		results = append(results, r)
		return nil
	}
	if err := run("upstream direct", upstream+"/items", nil); err != nil {
		return 1, err
	}
	minimal, err := start("minimal", o.proxyProcs, "-upstream", upstream)
	if err != nil {
		return 1, err
	}
	err = run("minimal ReverseProxy + Basic", "http://"+minimal.addr+"/items", minimal)
	minimal.stop()
	if err != nil {
		return 1, err
	}
	pooled, err := start("minimal-pooled", o.proxyProcs, "-upstream", upstream)
	if err != nil {
		return 1, err
	}
	err = run("minimal + copy-buffer pool", "http://"+pooled.addr+"/items", pooled)
	pooled.stop()
	if err != nil {
		return 1, err
	}
	gw, err := start("gateway", o.proxyProcs, "-upstream", upstream)
	if err != nil {
		return 1, err
	}
	defer gw.stop()
	if err := run("gateway Basic", "http://"+gw.addr+"/bench-basic/orders/items", gw); err != nil {
		return 1, err
	}
	if err := run("gateway OAuth", "http://"+gw.addr+"/bench-oauth/orders/items", gw); err != nil {
		return 1, err
	}
	return report(o, results), nil
}

func report(o options, rs []result) int {
	fmt.Printf("| %-30s | %10s | %9s | %9s | %8s | %15s |\n", "scenario", "requests/s", "p50", "p99", "errors", "proxy CPU µs/req")
	fmt.Printf("|%s|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 32), strings.Repeat("-", 12), strings.Repeat("-", 11), strings.Repeat("-", 11), strings.Repeat("-", 10), strings.Repeat("-", 17))
	code := 0
	var minimal, pooled time.Duration
	for _, r := range rs {
		cpu := "-"
		if r.cpuPerRq >= 0 {
			cpu = fmt.Sprintf("%.1f", float64(r.cpuPerRq)/float64(time.Microsecond))
		}
		fmt.Printf("| %-30s | %10.0f | %9s | %9s | %8d | %15s |\n", r.name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors, cpu)
		if r.errors > 0 || r.requests == 0 {
			code = 1
		}
		switch {
		case strings.HasPrefix(r.name, "minimal +"):
			pooled = r.cpuPerRq
		case strings.HasPrefix(r.name, "minimal"):
			minimal = r.cpuPerRq
		}
	}
	fmt.Println()
	for _, r := range rs {
		if !strings.HasPrefix(r.name, "gateway") || minimal <= 0 {
			continue
		}
		ratio := float64(r.cpuPerRq) / float64(minimal)
		verdict := "ok"
		if ratio > o.maxRatio {
			verdict = "OVER TARGET"
			if o.strict {
				code = 1
			}
		}
		fmt.Printf("%s CPU/request = %.2fx minimal proxy (target <= %.2fx): %s", r.name, ratio, o.maxRatio, verdict)
		if pooled > 0 {
			fmt.Printf("; %.2fx the pooled minimal proxy", float64(r.cpuPerRq)/float64(pooled))
		}
		fmt.Println()
	}
	return code
}
