package compass_test

import (
	"context"
	"fmt"
	"testing"

	compassclient "github.com/appconnector/appconnector/adapters/compass"
	"github.com/appconnector/appconnector/ports"
)

// Calls with one certificate share a keep-alive connection; a renewed certificate
// gets its own transport (a pooled connection keeps the identity it was opened
// with), and a transport dropped from the cache has its idle connections closed.
func TestTransportsAreCachedPerCertificate(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(gqlRequest) (int, any) {
		return data(map[string]any{"runtime": map[string]any{"labels": map[string]any{}}})
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	labels := func(cn string, ep ports.DirectorEndpoint) {
		t.Helper()
		if _, err := d.RuntimeLabels(context.Background(), ep, "rt"); err != nil {
			t.Fatal(err)
		}
		reqs := srv.all()
		if got := reqs[len(reqs)-1].ClientCN; got != cn {
			t.Fatalf("presented %q, want %q", got, cn)
		}
	}
	old := ports.DirectorEndpoint{URL: srv.URL, Credentials: ca.client(t, "old")}
	for range 3 {
		labels("old", old)
	}
	if opened, _ := srv.conns(); opened != 1 {
		t.Fatalf("%d connections for three calls with one certificate, want 1", opened)
	}

	renewed := ports.DirectorEndpoint{URL: srv.URL, Credentials: ca.client(t, "renewed")}
	labels("renewed", renewed)
	labels("renewed", renewed)
	if opened, closed := srv.conns(); opened != 2 || closed != 0 {
		t.Fatalf("after renewal: %d opened, %d closed; want 2, 0", opened, closed)
	}
	// The old certificate is still usable on its cached connection (a renewal overlaps).
	labels("old", old)
	if opened, _ := srv.conns(); opened != 2 {
		t.Fatalf("the old certificate's connection was not reused: %d opened", opened)
	}

	// A third certificate pushes out the least recently used one (renewed), whose idle
	// connection is closed rather than left to the server's timeout.
	third := ports.DirectorEndpoint{URL: srv.URL, Credentials: ca.client(t, "third")}
	labels("third", third)
	waitFor(t, "the dropped transport's idle connection to close", func() bool {
		_, closed := srv.conns()
		return closed == 1
	})
	// Reusing the same PEM again finds its transport: no new connection.
	labels("third", third)
	labels("old", old)
	if opened, closed := srv.conns(); opened != 3 || closed != 1 {
		t.Fatalf("%d opened, %d closed; want 3, 1", opened, closed)
	}
}

// The clients are shared by the agent's goroutines: concurrent calls with several
// certificates all succeed (and -race watches the cache).
func TestConcurrentCallsWithSeveralCertificates(t *testing.T) {
	ca := newTestCA(t)
	srv := newFakeGraphQL(t, ca, func(r gqlRequest) (int, any) {
		return data(map[string]any{"runtime": map[string]any{"labels": map[string]any{"cn": r.ClientCN}}})
	})
	d := newDirector(t, compassclient.Options{RootCAs: srv.caPEM()})
	eps := []ports.DirectorEndpoint{
		{URL: srv.URL, Credentials: ca.client(t, "c0")},
		{URL: srv.URL, Credentials: ca.client(t, "c1")},
		{URL: srv.URL, Credentials: ca.client(t, "c2")},
	}
	errs := make(chan error, 60)
	for i := range 60 {
		go func() {
			ep := eps[i%len(eps)]
			labels, err := d.RuntimeLabels(context.Background(), ep, "rt")
			if err == nil && labels["cn"] != fmt.Sprintf("c%d", i%len(eps)) {
				err = fmt.Errorf("call %d presented %v", i, labels["cn"])
			}
			errs <- err
		}()
	}
	for range 60 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
