package components

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
)

// memoryLimitEnv is the container's memory limit in bytes, which the Helm chart passes
// from the Pod's resources (resourceFieldRef limits.memory).
const memoryLimitEnv = "APPCONNECTOR_MEMORY_LIMIT"

// memoryLimit is the Go memory limit for a container limit of APPCONNECTOR_MEMORY_LIMIT
// bytes: 90 % of it, because the container's memory also holds what the Go limit does
// not count (the kernel's buffers of every client and target connection, the binary,
// thread stacks), and a heap allowed the whole limit gets the Pod OOM-killed before
// the collector reacts. An explicit GOMEMLIMIT wins. ok is false when neither applies.
func memoryLimit(getenv func(string) string) (limit int64, ok bool, err error) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false, nil
	}
	v := getenv(memoryLimitEnv)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, false, fmt.Errorf("%s=%q is not a positive number of bytes", memoryLimitEnv, v)
	}
	return n / 10 * 9, true, nil
}

// setMemoryLimit applies memoryLimit to the process.
func setMemoryLimit(getenv func(string) string, logger *slog.Logger) {
	limit, ok, err := memoryLimit(getenv)
	switch {
	case err != nil:
		logger.Warn("memory limit not set", "error", err)
	case ok:
		debug.SetMemoryLimit(limit)
		logger.Info("memory limit set", "bytes", limit, "source", memoryLimitEnv)
	}
}
