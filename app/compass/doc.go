// Package compass is the Runtime Agent use case (compass.md 1.4-1.7): it pairs the
// runtime with Compass using the one-time token of the configuration Secret, keeps the
// runtime's client certificate valid (renewal, expiry and revocation detection), and
// keeps the Compass-managed Applications and their Secrets in sync with what the
// Director assigns to the runtime, reporting each round in the CompassConnection's
// status.
//
// Differences from Kyma's agent, on purpose:
//   - a failing Application does not stop the others and its error is kept in
//     status.synchronizationStatus.failedApplications (Kyma only logs it);
//   - a revoked or expired certificate moves the connection to ConnectionFailed with a
//     message that says how to recover, instead of retrying maintenance for ever;
//   - renewal also happens when the certificate Secret lost a key (Kyma only checks
//     that the CA Secret exists);
//   - changed URLs from the Connector are written to spec.managementInfo (Kyma updates
//     only its in-memory cache and leaves the spec stale);
//   - a round that paired goes on to synchronise at once instead of a period later;
//   - a Secret is written before the Application that refers to it, so the gateway never
//     sees an entry whose credentials do not exist yet, and only when its content
//     changed;
//   - status writes retry on conflicts and never lose a resyncNow or
//     refreshCredentialsNow a user set during the round.
//
// The agent depends on ports only; Run drives it with a period and with the
// connection store's changes.
package compass
