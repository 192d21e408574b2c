package memory_test

import (
	"testing"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/ports"
	"github.com/appconnector/appconnector/ports/porttest"
)

func TestTokenStoreConformance(t *testing.T) {
	porttest.RunTokenStore(t, func(*testing.T) ports.TokenStore { return memory.NewTokenStore() })
}

func TestRevocationListConformance(t *testing.T) {
	porttest.RunRevocationList(t, func(*testing.T) ports.RevocationList { return memory.NewRevocationList() })
}

func TestEventLogConformance(t *testing.T) {
	porttest.RunEventLog(t, func(_ *testing.T, capacity int) ports.EventLog { return memory.NewEventLog(capacity) })
}
