// Package porttest holds the one conformance suite of each port. Every adapter of a
// port runs it from its own tests, e.g. for ports.ApplicationRepository:
//
//	func TestConformance(t *testing.T) {
//		porttest.RunApplicationRepository(t, func(t *testing.T) ports.ApplicationRepository {
//			return memory.NewApplicationRepository()
//		})
//	}
//
// The factory is called once per subtest and must return an empty store; it registers
// its own cleanup with t.Cleanup. The suite covers CRUD, the not-found and conflict
// sentinels, resource versions, copy semantics, read-modify-write under contention, and
// the watch contract (snapshot, EventSynced, every change in commit order, no drops for
// slow readers, channel closed on cancel), including concurrent writers. Run it with
// -race.
//
// The suites of the Compass clients (RunCompassConnector, RunDirector) run against a
// Compass the caller provides through CompassEnv: the adapter's tests pass the Compass
// double (internal/compassdouble), which this package does not import.
package porttest
