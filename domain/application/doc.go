// Package application holds the Application aggregate: the same data model as Kyma's
// Application custom resource (applicationconnector.kyma-project.io/v1alpha1), its
// validation, the name normalisation the gateway routes by, and route resolution.
//
// The package is pure: no I/O, no HTTP, no storage. Field names and JSON tags follow the
// CRD exactly so that a Kyma Application document decodes into Spec unchanged.
package application
