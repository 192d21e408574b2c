// Package manifest reads and writes the Kubernetes documents appconnector shares with
// Kyma: Application custom resources (applicationconnector.kyma-project.io/v1alpha1),
// core/v1 Secrets, and the List kinds that wrap them, as JSON or YAML, including
// multi-document YAML streams as kubectl reads them.
//
// Decoding is stricter than the API server on purpose: the CRD prunes unknown fields
// silently, so a typo such as "targetURL" would vanish and surface later as a gateway
// 404. Here every unknown field inside an object is an *Error naming its path. Errors
// never quote a value, because a value may be a secret.
//
// Secrets are written in two shapes: SecretDocument (with data, for sending to the
// management API) and SecretView (key names only, for showing to people).
package manifest
