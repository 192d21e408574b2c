package components

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryLimit(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	limit, ok, err := memoryLimit(env(memoryLimitEnv, "268435456"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(241591905), limit, "90 % of 256 MiB")

	_, ok, err = memoryLimit(env(memoryLimitEnv, "268435456", "GOMEMLIMIT", "100MiB"))
	require.NoError(t, err)
	assert.False(t, ok, "an explicit GOMEMLIMIT wins")

	_, ok, err = memoryLimit(env())
	require.NoError(t, err)
	assert.False(t, ok)

	for _, bad := range []string{"256Mi", "-1", "0"} {
		_, ok, err = memoryLimit(env(memoryLimitEnv, bad))
		assert.False(t, ok, bad)
		assert.ErrorContains(t, err, memoryLimitEnv, bad)
	}
}
