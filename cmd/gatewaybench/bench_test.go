package main

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CPU and system-call counters read a process tree from /proc: here a child that
// burns CPU and writes, and this test's process as its parent.
func TestProcCountersIncludeChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo x; done >/dev/null; read _")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, stdin: stdin}
	t.Cleanup(s.stop)
	// Wait for the loop to have run: its writes show in /proc/<pid>/io.
	require.Eventually(t, func() bool { _, w := s.syscalls(); return w >= 20000 }, 20*time.Second, 10*time.Millisecond)
	cpu, err := s.cpuTime()
	require.NoError(t, err)
	assert.Positive(t, cpu)

	self := &server{cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}}
	require.Contains(t, children(os.Getpid()), cmd.Process.Pid)
	_, selfWrites := self.syscalls()
	assert.GreaterOrEqual(t, selfWrites, int64(20000), "the parent's count includes the child's")
}

func TestMedianAndPerRound(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	assert.Equal(t, 0.0, median(nil))
	a := []result{{cpuPerRq: 10}, {cpuPerRq: 20}, {cpuPerRq: 30}}
	b := []result{{cpuPerRq: 20}, {cpuPerRq: 20}}
	got := perRound(a, b, func(x, y result) float64 { return float64(x.cpuPerRq) / float64(y.cpuPerRq) })
	assert.Equal(t, []float64{0.5, 1}, got, "rounds are paired by index; an unpaired round is left out")
}
