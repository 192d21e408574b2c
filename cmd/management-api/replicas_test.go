package main

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/cmd/internal/components"
	"github.com/appconnector/appconnector/cmd/internal/components/componenttest"
	"github.com/appconnector/appconnector/internal/realservers"
)

// TestTwoReplicas: two management-api replicas on one API server serve one state. What
// one writes the other serves within 1 s, and an update based on what one replica served
// is refused (409) once the other has changed the object since: replicas cannot lose each
// other's writes.
func TestTwoReplicas(t *testing.T) {
	k := realservers.KubeAPIServer(t)
	ns := k.Namespace(t)
	// Two replicas in one process cannot share the default metrics port.
	args := append(componenttest.KubeArgs(t, k, ns), "--admin-token-file", tokenFile(t), "--api-addr", "127.0.0.1:0", "--metrics-addr", "")
	a, b := componenttest.Start(t, binary, args...), componenttest.Start(t, binary, args...)
	apiA, apiB := "http://"+a[components.ServerAPI], "http://"+b[components.ServerAPI]
	componenttest.WaitHealthy(t, a[components.ServerAPI])
	componenttest.WaitHealthy(t, b[components.ServerAPI])
	app := ns
	doc := func(description, resourceVersion string) string {
		meta := "{name: " + app + "}"
		if resourceVersion != "" {
			meta = "{name: " + app + ", resourceVersion: \"" + resourceVersion + "\"}"
		}
		return "apiVersion: applicationconnector.kyma-project.io/v1alpha1\nkind: Application\nmetadata: " + meta + "\nspec: {description: " + description + "}\n"
	}
	code, body := componenttest.Do(t, http.MethodPut, apiA+"/v1/applications/"+app, token, doc("one", ""))
	require.Equal(t, http.StatusCreated, code, body)
	t.Cleanup(func() { componenttest.Do(t, http.MethodDelete, apiA+"/v1/applications/"+app, token, "") })

	var served string
	require.Eventually(t, func() bool {
		code, served = componenttest.Get(t, apiB+"/v1/applications/"+app+"?output=yaml", token)
		return code == http.StatusOK
	}, time.Second, 5*time.Millisecond, "what replica A wrote must be served by replica B within 1 s")
	rv := regexp.MustCompile(`resourceVersion: "?(\d+)"?`).FindStringSubmatch(served)
	require.NotNil(t, rv, "B serves the resourceVersion: %s", served)

	code, body = componenttest.Do(t, http.MethodPut, apiA+"/v1/applications/"+app, token, doc("two", rv[1]))
	require.Equal(t, http.StatusOK, code, "A updates on the version B served: %s", body)
	code, body = componenttest.Do(t, http.MethodPut, apiB+"/v1/applications/"+app, token, doc("three", rv[1]))
	assert.Equal(t, http.StatusConflict, code, "B's update on the stale version must be refused, whatever B's cache holds: %s", body)
}
