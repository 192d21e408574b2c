package components

import (
	"crypto/x509"

	"github.com/google/wire"

	"github.com/appconnector/appconnector/adapters/connectorapi"
	"github.com/appconnector/appconnector/adapters/httpapi"
	"github.com/appconnector/appconnector/adapters/httpapi/metadataapi"
	"github.com/appconnector/appconnector/adapters/storage"
	"github.com/appconnector/appconnector/app/connector"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/app/registry"
	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// TelemetrySet provides the process's *telemetry.Telemetry from the shared flags: every
// binary's metrics, spans and log correlation come from this one value.
var TelemetrySet = wire.NewSet(ProvideTelemetry)

// ConnectorSet provides the connector use cases from the Connector flags and the store's
// ports (storage.ConnectorSet) and a ports.CertificateSigner.
var ConnectorSet = wire.NewSet(EventLogSize, ConnectorDeps, ConnectorConfig, connector.New, ConnectorAPIConfig)

// SigningSet provides the signer of --ca (the CA, or Vault PKI) and the pool of client
// CAs of its chain; the CA also issues the listeners' certificate. The injector provides
// CreateCA.
var SigningSet = wire.NewSet(ObservedCA, ProvideSigner, SignerClientCAs)

// ManagementSet provides the management API server from the Management flags, an
// httpapi.Config and the store's ports: Application and Secret CRUD, the legacy
// Application Registry, token issuing, revocation and event listing.
var ManagementSet = wire.NewSet(registry.NewService, MetadataConfig, metadata.NewService, metadataapi.New,
	ProvideAdminToken, connectorapi.NewManagementRoutes, ExtraRoutes, httpapi.NewServer)

// ConnectorServersSet provides the runner of a connector-side component (connector,
// connectivity-validator) from its serveflags.Component, a context, a logger and
// CreateCA; the listeners are those of the Component's flag groups.
var ConnectorServersSet = wire.NewSet(wire.FieldsOf(new(serveflags.Component), "Flags", "Connector"), serveflags.StoreConfig,
	storage.ConnectorSet, TelemetrySet, SigningSet, ConnectorSet, NoMetadata, NewConnectorServers, ConnectorGroup)

// MetadataConfig is the Wire provider of the legacy Application Registry's configuration.
func MetadataConfig(m serveflags.Management) metadata.Config {
	return metadata.Config{CentralGatewayURL: m.GatewayBaseURL}
}

// ExtraRoutes mounts the legacy Application Registry and the connector's management
// routes on the management API.
func ExtraRoutes(meta *metadataapi.Handler, conn *connectorapi.ManagementRoutes) httpapi.ExtraRoutes {
	return httpapi.ExtraRoutes{meta, conn}
}

// APIConfig is the management API's configuration: its token, and /readyz from ready.
func APIConfig(tok AdminToken, ready Ready) httpapi.Config {
	return httpapi.Config{AdminToken: string(tok), ReadyCheck: ready}
}

// NoClientCAs is the pool of a binary that verifies no forwarded certificates.
func NoClientCAs() *x509.CertPool { return nil }

// NoMetadata leaves the legacy Application Registry off the mTLS API.
func NoMetadata() *metadataapi.Handler { return nil }
