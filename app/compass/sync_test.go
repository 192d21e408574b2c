package compass

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
)

// manualApp is an Application created by other means than Compass.
func manualApp(name string) application.Application {
	return application.Application{Name: name, Spec: application.Spec{
		Description: "made by hand",
		Services: []application.Service{{ID: "s1", Name: "svc", DisplayName: "svc", Entries: []application.Entry{
			{Type: application.EntryTypeAPI, TargetURL: "https://manual.example"},
		}}},
	}}
}

// Create, update and delete follow the Director; an Application without
// compassMetadata is never touched; Secrets follow their Applications.
func TestSyncCreatesUpdatesDeletes(t *testing.T) {
	f := newFixture(t)
	manual, _, err := f.apps.Put(t.Context(), manualApp("manual"))
	require.NoError(t, err)
	orders, billing := directorApp("a1", "orders"), directorApp("a2", "billing")
	f.compass.SetApplications(orders, billing)
	f.pair()

	o := f.app("orders")
	require.NotNil(t, o.Spec.CompassMetadata)
	assert.Equal(t, "a1", o.Spec.CompassMetadata.ApplicationID)
	assert.Equal(t, []string{"client-a1"}, o.Spec.ClientIDs())
	entry := o.Spec.Services[0].Entries[0]
	assert.Equal(t, "http://gateway.test:8082/orders/orders/orders-api", entry.CentralGatewayURL)
	cred := f.secret(dc.CredentialSecretName("orders", bundleID("a1")))
	assert.Equal(t, testPassword, string(cred.Data[credential.KeyPassword]))
	assert.Equal(t, entry.Credentials.SecretName, cred.Name)
	f.secret(dc.RequestParametersSecretName("orders", bundleID("a1")))
	f.app("billing")
	c := f.conn()
	assert.Equal(t, 2, c.Status.SynchronizationStatus.Applications)
	assert.Empty(t, c.Status.SynchronizationStatus.FailedApplications)

	// Update: a new description and another password.
	orders.Description = "new description"
	orders.Bundles[0].DefaultInstanceAuth.Basic.Password = testPassword + "-2"
	f.compass.SetApplications(orders, billing)
	billingRV := f.app("billing").ResourceVersion
	require.NoError(t, f.round())
	assert.Equal(t, "new description", f.app("orders").Spec.Description)
	assert.Equal(t, testPassword+"-2", string(f.secret(cred.Name).Data[credential.KeyPassword]))
	assert.Equal(t, billingRV, f.app("billing").ResourceVersion, "unchanged Application not written")

	// Delete: billing is no longer assigned; its Secrets go with it.
	f.compass.SetApplications(orders)
	require.NoError(t, f.round())
	_, err = f.apps.Get(t.Context(), "billing")
	require.ErrorIs(t, err, application.ErrNotFound)
	f.noSecret(dc.CredentialSecretName("billing", bundleID("a2")))
	f.noSecret(dc.RequestParametersSecretName("billing", bundleID("a2")))
	f.app("orders")
	assert.Equal(t, 1, f.conn().Status.SynchronizationStatus.Applications)

	// Nothing assigned: every Compass Application goes, the manual one stays as it was.
	f.compass.SetApplications()
	require.NoError(t, f.round())
	all, err := f.apps.List(t.Context())
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, manual, all[0])
}

// A round without changes writes neither Applications nor Secrets.
func TestSyncWritesNothingWhenUnchanged(t *testing.T) {
	f := newFixture(t)
	f.compass.SetApplications(directorApp("a1", "orders"), directorApp("a2", "billing"))
	f.pair()
	before := map[string]string{}
	secrets, err := f.secrets.List(t.Context())
	require.NoError(t, err)
	for _, s := range secrets {
		before[s.Name] = s.ResourceVersion
	}
	apps, err := f.apps.List(t.Context())
	require.NoError(t, err)
	for _, a := range apps {
		before["app/"+a.Name] = a.ResourceVersion
	}

	require.NoError(t, f.round())
	require.NoError(t, f.round())
	after := map[string]string{}
	secrets, err = f.secrets.List(t.Context())
	require.NoError(t, err)
	for _, s := range secrets {
		after[s.Name] = s.ResourceVersion
	}
	apps, err = f.apps.List(t.Context())
	require.NoError(t, err)
	for _, a := range apps {
		after["app/"+a.Name] = a.ResourceVersion
	}
	assert.Equal(t, before, after)
	assert.Equal(t, 3, f.compass.Calls(opApplications))
}

// Secrets the new version of an Application no longer refers to are deleted.
func TestSyncDeletesStaleSecrets(t *testing.T) {
	f := newFixture(t)
	orders := directorApp("a1", "orders")
	f.compass.SetApplications(orders)
	f.pair()
	params := dc.RequestParametersSecretName("orders", bundleID("a1"))
	f.secret(params)

	orders.Bundles[0].DefaultInstanceAuth.AdditionalHeaders = nil
	f.compass.SetApplications(orders)
	require.NoError(t, f.round())
	f.noSecret(params)
	f.secret(dc.CredentialSecretName("orders", bundleID("a1")))
	assert.Empty(t, f.app("orders").Spec.Services[0].Entries[0].RequestParametersSecretName)
}

// One failing Application does not stop the others; each failure is in the status by
// name, and the round is still Synchronized.
func TestSyncOneBadApplicationDoesNotStopOthers(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.apps.Put(t.Context(), manualApp("taken"))
	require.NoError(t, err)
	bad := directorApp("a2", "broken")
	bad.Bundles[0].DefaultInstanceAuth.OAuth = &dc.OAuthCredential{ClientID: "id", ClientSecret: "oauth-client-secret", URL: "https://auth.example"}
	f.apps.failPut["refused"] = true
	f.compass.SetApplications(directorApp("a1", "good"), bad, directorApp("a3", "taken"), directorApp("a4", "refused"), directorApp("a5", "zlast"))

	f.pair()
	c := f.requireState(dc.StateSynchronized)
	ss := c.Status.SynchronizationStatus
	assert.Equal(t, 2, ss.Applications)
	assert.Len(t, ss.FailedApplications, 3)
	assert.Contains(t, ss.FailedApplications["broken"], "only one credential type")
	assert.Contains(t, ss.FailedApplications["taken"], "Compass does not manage")
	assert.Contains(t, ss.FailedApplications["refused"], "admission webhook refused it")
	f.app("good")
	f.app("zlast")
	assert.Nil(t, f.app("taken").Spec.CompassMetadata, "the manual Application is untouched")
	assert.NotContains(t, f.logs.String(), "oauth-client-secret")

	// The same failures again: the status still shows them, the log warns only once.
	lines := func(level string) int {
		n := 0
		for _, l := range strings.Split(f.logs.String(), "\n") {
			if strings.Contains(l, "level="+level) && strings.Contains(l, `msg="Application not synchronised"`) && strings.Contains(l, "application=taken") {
				n++
			}
		}
		return n
	}
	warnings := func() int { return lines("WARN") }
	require.Equal(t, 1, warnings())
	require.NoError(t, f.round())
	require.NoError(t, f.round())
	assert.Len(t, f.requireState(dc.StateSynchronized).Status.SynchronizationStatus.FailedApplications, 3)
	assert.Equal(t, 1, warnings(), "an unchanged failure is logged at WARN once")
	assert.Equal(t, 2, lines("DEBUG"))

	// Fixed in the Director: the failures clear.
	f.apps.mu.Lock()
	delete(f.apps.failPut, "refused")
	f.apps.mu.Unlock()
	f.compass.SetApplications(directorApp("a1", "good"), directorApp("a4", "refused"), directorApp("a5", "zlast"))
	require.NoError(t, f.round())
	ss = f.requireState(dc.StateSynchronized).Status.SynchronizationStatus
	assert.Equal(t, 3, ss.Applications)
	assert.Empty(t, ss.FailedApplications)
}

// Labels are set only when missing or different; an empty configured value is not
// reported.
func TestRuntimeLabelsOnlyWhenDifferent(t *testing.T) {
	f := newFixture(t)
	f.compass.SetLabel(LabelEventServiceURL, eventsURL)
	f.pair()
	assert.Equal(t, []string{LabelConsoleURL + "=" + consoleURL}, f.compass.SetLabelCalls())

	require.NoError(t, f.round())
	assert.Len(t, f.compass.SetLabelCalls(), 1, "nothing to set")

	f.compass.SetLabel(LabelConsoleURL, "https://old-console")
	require.NoError(t, f.round())
	assert.Equal(t, []string{LabelConsoleURL + "=" + consoleURL, LabelConsoleURL + "=" + consoleURL}, f.compass.SetLabelCalls())

	g := newFixture(t, func(c *Config) { c.EventsURL, c.ConsoleURL = "", "" })
	g.pair()
	assert.Empty(t, g.compass.SetLabelCalls())
}

// Each failure state of compass.md 1.3 is reached when its call fails, and left when
// the call works again.
func TestFailureStatesAndRecovery(t *testing.T) {
	broken := errors.New("compass says no")
	for _, tc := range []struct {
		state       dc.State
		op          string
		syncFailure bool // error in synchronizationStatus rather than connectionStatus
		fail, heal  func(f *fixture)
	}{
		{state: dc.StateConnectionMaintenanceFailed, op: opCertConfiguration},
		{state: dc.StateConnectionMaintenanceFailed, op: opCertSign, fail: func(f *fixture) {
			f.editSpec(func(s *dc.Spec) { s.RefreshCredentialsNow = true })
		}},
		{state: dc.StateSynchronizationFailed, op: opApplications, syncFailure: true},
		{state: dc.StateSynchronizationFailed, op: opRuntimeLabels, syncFailure: true},
		{state: dc.StateMetadataUpdateFailed, op: opSetLabel, syncFailure: true, fail: func(f *fixture) {
			f.compass.SetLabel(LabelConsoleURL, "changed")
		}},
		{state: dc.StateResourceApplicationFailed, syncFailure: true,
			fail: func(f *fixture) { f.apps.failList.Store(true) },
			heal: func(f *fixture) { f.apps.failList.Store(false) }},
		{state: dc.StateSynchronizationFailed, syncFailure: true,
			fail: func(f *fixture) {
				require.NoError(f.t, f.secrets.Delete(context.Background(), dc.ConfigurationSecretName))
			},
			heal: func(f *fixture) { f.putConfig() }},
	} {
		name := string(tc.state) + "/" + tc.op
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.compass.SetApplications(directorApp("a1", "orders"))
			f.pair()
			if tc.op != "" {
				f.compass.Fail(tc.op, broken)
			}
			if tc.fail != nil {
				tc.fail(f)
			}
			require.Error(t, f.round())
			c := f.requireState(tc.state)
			if tc.syncFailure {
				assert.NotEmpty(t, c.Status.SynchronizationStatus.Error)
			} else {
				assert.Contains(t, c.Status.ConnectionStatus.Error, "compass says no")
			}
			f.app("orders") // nothing is deleted because of a failure

			if tc.op != "" {
				f.compass.Heal(tc.op)
			}
			if tc.heal != nil {
				tc.heal(f)
			}
			require.NoError(t, f.round())
			c = f.requireState(dc.StateSynchronized)
			assert.Empty(t, c.Status.ConnectionStatus.Error)
			assert.Empty(t, c.Status.SynchronizationStatus.Error)
			assert.False(t, c.Spec.RefreshCredentialsNow)
		})
	}
}

// Rounds closer than MinimalSyncTime make no Compass call unless resyncNow is set,
// which is reset after the synchronisation.
func TestRateLimitAndResyncNow(t *testing.T) {
	f := newFixture(t)
	f.pair()
	calls := func() int { return f.compass.Calls(opCertConfiguration) + f.compass.Calls(opApplications) }
	base := calls()

	f.clock.Advance(f.cfg.MinimalSyncTime / 2)
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, base, calls(), "rate-limited")

	f.editSpec(func(s *dc.Spec) { s.ResyncNow = true })
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, base+2, calls())
	assert.False(t, f.conn().Spec.ResyncNow)

	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, base+2, calls(), "rate-limited again")

	f.clock.Advance(f.cfg.MinimalSyncTime)
	require.NoError(t, f.agent.Reconcile(t.Context()))
	assert.Equal(t, base+4, calls())
}

// A flag a user sets during a round survives the round's status write (which then
// conflicts and is retried); a flag the round acted on is reset.
func TestStatusWriteKeepsFlagsSetDuringTheRound(t *testing.T) {
	f := newFixture(t)
	f.pair()

	// resyncNow set while the Director is being read: not acted on, kept.
	f.compass.onApplications = func() { f.editSpec(func(s *dc.Spec) { s.ResyncNow = true }) }
	require.NoError(t, f.round())
	c := f.requireState(dc.StateSynchronized)
	assert.True(t, c.Spec.ResyncNow, "set during the round, not acted on")
	assert.Equal(t, f.clock.Now(), *c.Status.SynchronizationStatus.LastSuccessfulApplication, "status written despite the conflict")

	// This round acts on resyncNow; refreshCredentialsNow is set during it.
	f.compass.onApplications = func() { f.editSpec(func(s *dc.Spec) { s.RefreshCredentialsNow = true }) }
	require.NoError(t, f.agent.Reconcile(t.Context()))
	c = f.conn()
	assert.False(t, c.Spec.ResyncNow, "acted on: reset")
	assert.True(t, c.Spec.RefreshCredentialsNow, "set during the round: kept for the next")
	f.compass.onApplications = nil
}
