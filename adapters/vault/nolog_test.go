package vault_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/adapters/vault"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/internal/realservers"
	"github.com/appconnector/appconnector/ports"
)

// TestNoSecretValueInLogsOrErrors runs every operation, including failing ones and ones
// against a sealed Vault, with debug logging, and looks for the values (and their base64
// form, which is how binary values travel) in the logs and in every error.
func TestNoSecretValueInLogsOrErrors(t *testing.T) {
	v := realservers.StartVault(t)
	logs := &syncBuffer{}
	c, _ := rootClient(t, v, debugLogger(logs))
	s := newStore(t, c, vault.SecretStoreConfig{Prefix: "nolog", PollInterval: 20 * time.Millisecond, Logger: debugLogger(logs)})
	ctx := t.Context()

	secretText := "pw-Zq8rT3xW-never-logged"
	binary := []byte{0xff, 0xfe, 'k', 'e', 'y', '-', 'Q', '7', 0x00, 0x80}
	values := []string{secretText, string(binary), base64.StdEncoding.EncodeToString(binary), "clientsecret-Hh2kP9"}
	sec := credential.Secret{Name: "creds", Labels: map[string]string{"app": "x"}, Data: map[string][]byte{
		"password": []byte(secretText), "key": binary, "clientSecret": []byte("clientsecret-Hh2kP9"),
	}}

	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	ch, err := s.Watch(ctx)
	require.NoError(t, err)
	require.Equal(t, ports.EventSynced, next(t, ch).Type)
	stored, _, err := s.Put(ctx, sec)
	require.NoError(t, err)
	next(t, ch)
	_, err = s.Get(ctx, "creds")
	require.NoError(t, err)
	_, err = s.List(ctx)
	require.NoError(t, err)

	stale := sec
	stale.ResourceVersion = "1-1"
	_, _, err = s.Put(ctx, stale)
	require.ErrorIs(t, err, credential.ErrConflict)
	note(err)
	bad := sec.DeepCopy()
	bad.Data["appconnector/meta"] = []byte(secretText)
	_, _, err = s.Put(ctx, bad)
	require.ErrorIs(t, err, credential.ErrInvalid)
	note(err)
	// A value written by hand that the meta field says is base64 but is not.
	v.CLI(t, "kv", "put", "secret/nolog/broken", "k="+secretText, `appconnector/meta={"base64":["k"]}`)
	_, err = s.Get(ctx, "broken")
	require.Error(t, err)
	note(err)

	v.Seal(t)
	_, _, err = s.Put(ctx, credential.Secret{Name: "creds", ResourceVersion: stored.ResourceVersion, Data: sec.Data})
	requireUnavailable(t, err, "sealed")
	note(err)
	_, err = s.Get(ctx, "creds")
	note(err)
	_, err = s.List(ctx)
	note(err)
	note(s.Delete(ctx, "creds"))
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "watching Vault failed") }, eventTimeout, 10*time.Millisecond)
	v.Unseal(t)
	require.NoError(t, s.Delete(ctx, "creds"))
	require.Equal(t, ports.EventDelete, next(t, ch).Type)

	out := logs.String()
	require.Contains(t, out, "level=DEBUG", "debug logging was on")
	require.Contains(t, out, "name=creds")
	for i, val := range values {
		require.NotContains(t, out, val, "value %d appears in the logs", i)
		for _, err := range errs {
			require.NotContains(t, err.Error(), val, "value %d appears in error %q", i, fmt.Sprint(err))
		}
	}
	require.GreaterOrEqual(t, len(errs), 6)
}
