// Package porttest holds the one conformance suite of each storage port. Every adapter
// of ports.ApplicationRepository and ports.SecretStore runs it from its own tests:
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
package porttest
