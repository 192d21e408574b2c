package telemetry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/adapters/telemetry"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/mocks"
)

func TestCompassCollector(t *testing.T) {
	store := memory.NewCompassConnectionStore()
	t.Cleanup(store.Close)
	reg := prometheus.NewRegistry()
	reg.MustRegister(telemetry.NewCompassCollector(store))

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP appconnector_compass_connection_present 1 when the CompassConnection exists (the runtime has paired, or tried to), else 0.
# TYPE appconnector_compass_connection_present gauge
appconnector_compass_connection_present 0
`)), "before pairing only the absence is reported")

	notAfter := time.Unix(1900000000, 0)
	renewed := time.Unix(1800000000, 0)
	applied := time.Unix(1800000100, 0)
	_, err := store.Create(t.Context(), compass.Connection{Status: compass.Status{
		ConnectionState:       compass.StateSynchronizationFailed,
		ConnectionStatus:      &compass.ConnectionStatus{Renewed: &renewed, LastSuccess: &renewed, CertificateStatus: compass.CertificateStatus{NotAfter: &notAfter}},
		SynchronizationStatus: &compass.SynchronizationStatus{LastSuccessfulApplication: &applied, Applications: 7, FailedApplications: map[string]string{"a": "x", "b": "y"}},
	}})
	require.NoError(t, err)
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP appconnector_compass_applications Applications synced from the Director in the last successful round.
# TYPE appconnector_compass_applications gauge
appconnector_compass_applications 7
# HELP appconnector_compass_certificate_not_after_timestamp_seconds When the runtime certificate expires (Unix time).
# TYPE appconnector_compass_certificate_not_after_timestamp_seconds gauge
appconnector_compass_certificate_not_after_timestamp_seconds 1.9e+09
# HELP appconnector_compass_certificate_renewed_timestamp_seconds When the runtime certificate was last renewed (Unix time).
# TYPE appconnector_compass_certificate_renewed_timestamp_seconds gauge
appconnector_compass_certificate_renewed_timestamp_seconds 1.8e+09
# HELP appconnector_compass_connection_present 1 when the CompassConnection exists (the runtime has paired, or tried to), else 0.
# TYPE appconnector_compass_connection_present gauge
appconnector_compass_connection_present 1
# HELP appconnector_compass_connection_state 1 for the CompassConnection's current status.connectionState, 0 for the others.
# TYPE appconnector_compass_connection_state gauge
appconnector_compass_connection_state{state="Connected"} 0
appconnector_compass_connection_state{state="ConnectionFailed"} 0
appconnector_compass_connection_state{state="ConnectionMaintenanceFailed"} 0
appconnector_compass_connection_state{state="MetadataUpdateFailed"} 0
appconnector_compass_connection_state{state="ResourceApplicationFailed"} 0
appconnector_compass_connection_state{state="SynchronizationFailed"} 1
appconnector_compass_connection_state{state="Synchronized"} 0
# HELP appconnector_compass_failed_applications Applications the last round could not apply (their errors are in the status).
# TYPE appconnector_compass_failed_applications gauge
appconnector_compass_failed_applications 2
# HELP appconnector_compass_last_connection_success_timestamp_seconds When connection maintenance last succeeded (Unix time).
# TYPE appconnector_compass_last_connection_success_timestamp_seconds gauge
appconnector_compass_last_connection_success_timestamp_seconds 1.8e+09
# HELP appconnector_compass_last_sync_success_timestamp_seconds When the Director's Applications were last applied (Unix time).
# TYPE appconnector_compass_last_sync_success_timestamp_seconds gauge
appconnector_compass_last_sync_success_timestamp_seconds 1.8000001e+09
`)))
}

// TestCompassCollectorStoreFailure: a store that cannot be read fails the scrape with
// its reason instead of reporting the connection absent.
func TestCompassCollectorStoreFailure(t *testing.T) {
	store := mocks.NewMockCompassConnectionStore(gomock.NewController(t))
	store.EXPECT().Get(gomock.Any()).DoAndReturn(func(context.Context) (compass.Connection, error) {
		return compass.Connection{}, errors.New("apiserver unreachable")
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(telemetry.NewCompassCollector(store))
	_, err := reg.Gather()
	require.ErrorContains(t, err, "apiserver unreachable")
}
