package manifest

import "github.com/appconnector/appconnector/domain/compass"

// The CompassConnection custom resource as Kyma's CRD names it.
const (
	APIVersionCompass     = "compass.kyma-project.io/v1alpha1"
	KindCompassConnection = "CompassConnection"
)

// CompassConnectionDocument is the CompassConnection custom resource as Kyma writes it:
// what the management API serves and its client reads.
type CompassConnectionDocument struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   CompassObjectMeta `json:"metadata"`
	Spec       compass.Spec      `json:"spec"`
	Status     compass.Status    `json:"status"`
}

// CompassObjectMeta is the metadata of the CompassConnection.
type CompassObjectMeta struct {
	Name            string `json:"name"`
	UID             string `json:"uid,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// NewCompassConnectionDocument wraps c in its Kyma document.
func NewCompassConnectionDocument(c compass.Connection) CompassConnectionDocument {
	name := c.Name
	if name == "" {
		name = compass.ConnectionName
	}
	return CompassConnectionDocument{
		APIVersion: APIVersionCompass,
		Kind:       KindCompassConnection,
		Metadata:   CompassObjectMeta{Name: name, UID: c.UID, ResourceVersion: c.ResourceVersion},
		Spec:       c.Spec,
		Status:     c.Status,
	}
}

// Connection returns the domain connection the document describes.
func (d CompassConnectionDocument) Connection() compass.Connection {
	return compass.Connection{
		Name:            d.Metadata.Name,
		UID:             d.Metadata.UID,
		ResourceVersion: d.Metadata.ResourceVersion,
		Spec:            d.Spec,
		Status:          d.Status,
	}
}
