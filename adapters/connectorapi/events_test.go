package connectorapi_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/ports"
)

// countingApps counts the connector's reads of Applications.
type countingApps struct {
	ports.ApplicationRepository
	gets atomic.Int64
}

func (c *countingApps) Get(ctx context.Context, name string) (application.Application, error) {
	c.gets.Add(1)
	return c.ApplicationRepository.Get(ctx, name)
}

// The Application is read once per event: the handler authorises before it reads the
// body, and publishes with what that authorisation read.
func TestOneApplicationReadPerEvent(t *testing.T) {
	var counter *countingApps
	e := newEnv(t, envOptions{eventingURL: "log", appsSeenByConnector: func(r ports.ApplicationRepository) ports.ApplicationRepository {
		counter = &countingApps{ApplicationRepository: r}
		return counter
	}})
	e.createApp(application.Application{Name: "app-a"})
	_, hc := e.connect("app-a")
	cases := []struct {
		path   string
		header http.Header
		body   string
		status int
	}{
		{"/app-a/v1/events", nil, legacyEvent, http.StatusOK},
		{"/app-a/v2/events", http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"1"},
			"Ce-Source": {"/crm"}, "Ce-Type": {"order.created.v1"}}, `{"orderId":"42"}`, http.StatusNoContent},
		{"/app-a/events", http.Header{"Content-Type": {"application/cloudevents+json"}},
			`{"specversion":"1.0","id":"2","source":"/crm","type":"order.created.v1"}`, http.StatusNoContent},
	}
	for _, tc := range cases {
		before := counter.gets.Load()
		r := send(t, hc, http.MethodPost, e.mtlsURL+tc.path, tc.header, tc.body)
		require.Equal(t, tc.status, r.status, r.body)
		assert.Equal(t, int64(1), counter.gets.Load()-before, tc.path)
	}
	list, err := e.mgmt.Events(t.Context(), ports.EventQuery{Application: "app-a"})
	require.NoError(t, err)
	assert.Len(t, list.Events, len(cases))
}
