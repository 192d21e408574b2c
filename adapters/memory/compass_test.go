package memory_test

import (
	"testing"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestCompassConnectionStoreConformance(t *testing.T) {
	porttest.RunCompassConnectionStore(t, func(t *testing.T) ports.CompassConnectionStore {
		s := memory.NewCompassConnectionStore()
		t.Cleanup(s.Close)
		return s
	})
}
