// Package compass is the Runtime Agent's domain: the CompassConnection and its states,
// the certificate renewal rule, the Director Application to Application mapping with
// Kyma's name normalisation and Secret naming, and the plan of one synchronisation
// round. It is pure: no I/O, no clock (callers pass now), no network.
package compass
