package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// report prints one table per connection count (medians over the rounds) and the
// acceptance checks, and returns the exit code.
func report(o options, scs []scenario, res map[string][]result) int {
	code := 0
	for _, c := range o.conns {
		fmt.Printf("%d connection(s):\n\n", c)
		fmt.Printf("| %-40s | %10s | %9s | %9s | %10s | %6s | %16s | %11s | %10s | %9s | %6s |\n", "scenario", "requests/s", "p50", "p99", "added p50", "errors", "CPU µs/req", "read/write", "allocs/req", "GC/1k req", "GC CPU")
		fmt.Printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(42), dashes(12), dashes(11), dashes(11), dashes(12), dashes(8), dashes(18), dashes(13), dashes(12), dashes(11), dashes(8))
		for _, sc := range scs {
			rs := res[key(sc.name, c)]
			errs := 0
			for _, r := range rs {
				errs += r.errors
				if r.errors > 0 || r.requests == 0 {
					code = 1
				}
			}
			added := "-"
			if sc.base != "" {
				added = fmtDur(median(perRound(rs, res[key(sc.base, c)], func(a, b result) float64 { return float64(a.p50 - b.p50) })))
			}
			sys := "-"
			if sc.srv != nil {
				sys = fmt.Sprintf("%.2f/%.2f", median(field(rs, func(r result) float64 { return r.readsPerRq })),
					median(field(rs, func(r result) float64 { return r.writesPerRq })))
			}
			allocs, gcs, gcShare := "-", "-", "-"
			if len(rs) > 0 && rs[0].allocsPerRq >= 0 {
				allocs = fmt.Sprintf("%.1f", median(field(rs, func(r result) float64 { return r.allocsPerRq })))
				gcs = fmt.Sprintf("%.2f", median(field(rs, func(r result) float64 { return r.gcPerKRq })))
				gcShare = fmt.Sprintf("%.1f%%", 100*median(field(rs, func(r result) float64 { return r.gcShare })))
			}
			fmt.Printf("| %-40s | %10.0f | %9s | %9s | %10s | %6d | %16s | %11s | %10s | %9s | %6s |\n", sc.name,
				median(field(rs, func(r result) float64 { return r.rps })),
				fmtDur(median(field(rs, func(r result) float64 { return float64(r.p50) }))),
				fmtDur(median(field(rs, func(r result) float64 { return float64(r.p99) }))),
				added, errs, cpuCell(rs), sys, allocs, gcs, gcShare)
		}
		fmt.Println()
	}
	// Acceptance: CPU at the throughput connection count, latency at one connection.
	hi := o.concurrency
	cpuOf := func(a, b result) float64 {
		if a.cpuPerRq <= 0 || b.cpuPerRq <= 0 {
			return 0
		}
		return float64(a.cpuPerRq) / float64(b.cpuPerRq)
	}
	nginx := res[key(rowNginx, hi)]
	for _, sc := range scs {
		if !strings.HasPrefix(sc.name, "gateway") {
			continue
		}
		rs := res[key(sc.name, hi)]
		line := sc.name + ", CPU/request at " + fmt.Sprint(hi) + " connections:"
		ref := minimalFor(sc)
		if minimal := res[key(ref, hi)]; len(minimal) > 0 {
			ratios := perRound(rs, minimal, cpuOf)
			m := median(ratios)
			verdict := "ok"
			targeted := !strings.Contains(sc.name, "parameters") // the target names Basic, OAuth and client certificate
			if m > o.maxRatio {
				verdict = "OVER TARGET"
				if targeted && o.strict {
					code = 1
				}
			}
			if !targeted {
				verdict = "no target"
			}
			line += fmt.Sprintf(" %.2fx %s%s (target <= %.2fx: %s)", m, ref, spread(ratios, "x"), o.maxRatio, verdict)
		}
		if len(nginx) > 0 {
			ratios := perRound(rs, nginx, cpuOf)
			m := median(ratios)
			verdict := "ok"
			if m > o.maxNginx {
				verdict = "over"
			}
			line += fmt.Sprintf(", %.2fx nginx%s (stretch <= %.1fx: %s)", m, spread(ratios, "x"), o.maxNginx, verdict)
		}
		fmt.Println(line)
	}
	if o.single {
		addedP50 := func(a, b result) float64 { return float64(a.p50 - b.p50) }
		for _, sc := range scs {
			if !strings.HasPrefix(sc.name, "gateway") {
				continue
			}
			ref := minimalFor(sc)
			if minAdded := perRound(res[key(ref, 1)], res[key(sc.base, 1)], addedP50); len(minAdded) > 0 {
				ma := median(minAdded)
				added := median(perRound(res[key(sc.name, 1)], res[key(sc.base, 1)], addedP50))
				verdict := "ok"
				if added > ma {
					verdict = "OVER TARGET"
					if o.strict && !strings.Contains(sc.name, "parameters") {
						code = 1
					}
				}
				fmt.Printf("%s, added p50 at 1 connection: %s, %s %s (target <=: %s)\n", sc.name, fmtDur(added), ref, fmtDur(ma), verdict)
			}
		}
	}
	return code
}

func dashes(n int) string { return strings.Repeat("-", n) }

func field(rs []result, f func(result) float64) []float64 {
	out := make([]float64, 0, len(rs))
	for _, r := range rs {
		out = append(out, f(r))
	}
	return out
}

// perRound applies f to the results of the same round of two scenarios: comparisons
// within a round share the machine's load at that time.
func perRound(a, b []result, f func(a, b result) float64) []float64 {
	var out []float64
	for i := range min(len(a), len(b)) {
		out = append(out, f(a[i], b[i]))
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is " (min–max)" over the rounds, empty for one round.
func spread(v []float64, unit string) string {
	if len(v) < 2 {
		return ""
	}
	return fmt.Sprintf(" (%.2f–%.2f%s)", slices.Min(v), slices.Max(v), unit)
}

func cpuCell(rs []result) string {
	if len(rs) == 0 || rs[0].cpuPerRq < 0 {
		return "-"
	}
	v := field(rs, func(r result) float64 { return float64(r.cpuPerRq) / float64(time.Microsecond) })
	s := fmt.Sprintf("%.1f", median(v))
	if len(v) > 1 {
		s += fmt.Sprintf(" (%.1f–%.1f)", slices.Min(v), slices.Max(v))
	}
	return s
}

func fmtDur(ns float64) string {
	return fmt.Sprintf("%.0f µs", ns/float64(time.Microsecond))
}

// minimalFor is the minimal Go proxy a gateway row is held against: the one calling the
// same upstream the same way, so that the client-certificate row pays the TLS upstream's
// cost on both sides of the ratio.
func minimalFor(sc scenario) string {
	if sc.base == rowDirectTLS {
		return rowMinimalTLS
	}
	return rowMinimal
}
