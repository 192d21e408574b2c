// Package metadata implements the use cases of the legacy Kyma Application Registry
// (compass reference section 4): register, read, list, update and delete the services of
// an Application, described by a ServiceDefinition (the registry's ServiceDetails).
//
// A service is stored the way the Application Gateway reads it: one entry of the
// Application's spec.services with an API entry and/or an Events entry, plus a credential
// Secret "<app>-<serviceId>" and a request-parameters Secret "params-<app>-<serviceId>" in
// the Kyma formats (gateway reference section 2).
//
// Unlike Kyma, no Kubernetes Service per API is created and API/event specifications and
// documentation are validated but not stored (Kyma kept them in Rafter, which it has since
// removed); reading a service back therefore returns no spec.
//
// Secret writes and the Application update are not one transaction. They are ordered so
// that a failure never leaves the Application referring to a Secret that is missing or
// holds data of another credential type: Secrets are written first, the Application
// second, and if the Application write fails the Secrets are restored (or deleted when
// they are new). Secrets that are no longer referenced are deleted only after the
// Application no longer refers to them. A crash between the steps can leave an
// unreferenced Secret behind, never a dangling reference.
package metadata
