package compass

import "time"

// ConnectionName is the name of the single CompassConnection object, as in Kyma.
const ConnectionName = "compass-connection"

// Names of the configuration and credential Secrets and their keys (compass.md 1.2, 1.5).
const (
	ConfigurationSecretName = "compass-agent-configuration"
	ConfigKeyConnectorURL   = "CONNECTOR_URL"
	ConfigKeyToken          = "TOKEN"
	ConfigKeyRuntimeID      = "RUNTIME_ID"
	ConfigKeyTenant         = "TENANT"

	ClusterCertificatesSecretName = "cluster-client-certificates"
	KeyClientCertificate          = "crt"
	KeyClientKey                  = "key"
	KeyCertificateChain           = "crtChain"

	CACertificatesSecretName = "ca-certificates"
	KeyCACertificate         = "cacert"
)

// State is status.connectionState of the CompassConnection (compass.md 1.3).
type State string

const (
	StateConnected                   State = "Connected"
	StateConnectionFailed            State = "ConnectionFailed"
	StateConnectionMaintenanceFailed State = "ConnectionMaintenanceFailed"
	StateSynchronizationFailed       State = "SynchronizationFailed"
	StateResourceApplicationFailed   State = "ResourceApplicationFailed"
	StateMetadataUpdateFailed        State = "MetadataUpdateFailed"
	StateSynchronized                State = "Synchronized"
)

// Connection is the CompassConnection custom resource (compass.kyma-project.io/v1alpha1,
// cluster-scoped, one instance named ConnectionName). The JSON tags are the CRD's, so
// the object serialises as Kyma's does. UID and ResourceVersion are assigned by the
// store: ResourceVersion changes on every write, and a write that carries a stale one
// fails with ErrConflict.
type Connection struct {
	Name            string `json:"name"`
	UID             string `json:"uid,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Spec            Spec   `json:"spec"`
	Status          Status `json:"status"`
}

// Spec is the CompassConnection's spec.
type Spec struct {
	ManagementInfo ManagementInfo `json:"managementInfo"`
	// ResyncNow bypasses the minimal sync time once; reset after a successful sync.
	ResyncNow bool `json:"resyncNow,omitempty"`
	// RefreshCredentialsNow forces a certificate renewal in the next round; reset
	// after the renewal.
	RefreshCredentialsNow bool `json:"refreshCredentialsNow,omitempty"`
}

// ManagementInfo holds the URLs learnt from the Connector at pairing.
type ManagementInfo struct {
	// ConnectorURL is the certificate-secured Connector (not the token URL).
	ConnectorURL string `json:"connectorUrl"`
	DirectorURL  string `json:"directorUrl"`
}

// Status is the CompassConnection's status.
type Status struct {
	ConnectionState       State                  `json:"connectionState,omitempty"`
	ConnectionStatus      *ConnectionStatus      `json:"connectionStatus"`
	SynchronizationStatus *SynchronizationStatus `json:"synchronizationStatus"`
}

// ConnectionStatus describes the connection to the Connector and the certificate.
type ConnectionStatus struct {
	Established       *time.Time        `json:"established"`
	Renewed           *time.Time        `json:"renewed"`
	LastSync          *time.Time        `json:"lastSync"`
	LastSuccess       *time.Time        `json:"lastSuccess"`
	CertificateStatus CertificateStatus `json:"certificateStatus"`
	Error             string            `json:"error,omitempty"`
}

// CertificateStatus tells when the runtime certificate was acquired and its validity.
type CertificateStatus struct {
	Acquired  *time.Time `json:"acquired"`
	NotBefore *time.Time `json:"notBefore"`
	NotAfter  *time.Time `json:"notAfter"`
}

// SynchronizationStatus describes the last synchronisation with the Director.
type SynchronizationStatus struct {
	LastAttempt               *time.Time `json:"lastAttempt"`
	LastSuccessfulFetch       *time.Time `json:"lastSuccessfulFetch"`
	LastSuccessfulApplication *time.Time `json:"lastSuccessfulApplication"`
	Error                     string     `json:"error,omitempty"`

	// Fields below are this project's additions (optional in its copy of the CRD, so
	// Kyma's objects stay valid): how many Compass-managed Applications the last
	// round left in place, and the error of each Application that could not be
	// applied, by Application name. Kyma only logs per-Application failures.
	Applications       int               `json:"applications,omitempty"`
	FailedApplications map[string]string `json:"failedApplications,omitempty"`
}

// RuntimeConfig is the content of the configuration Secret (compass.md 1.2).
type RuntimeConfig struct {
	ConnectorURL string // token-secured Connector GraphQL endpoint
	Token        string // one-time token
	RuntimeID    string
	Tenant       string
}

// String never prints the token.
func (c RuntimeConfig) String() string {
	return "RuntimeConfig(connector=" + c.ConnectorURL + ", runtime=" + c.RuntimeID + ", tenant=" + c.Tenant + ")"
}

// GoString keeps %#v from printing the token too.
func (c RuntimeConfig) GoString() string { return c.String() }

// Configuration is the answer of the Connector's configuration query.
type Configuration struct {
	// Token is the next one-time token, for signCertificateSigningRequest.
	Token string
	// Subject is certificateSigningRequestInfo.subject, e.g. "O=Org,OU=OrgUnit,...,CN=<id>";
	// empty when the Connector did not return it.
	Subject      string
	KeyAlgorithm string
	// DirectorURL and CertificateSecuredConnectorURL are empty when the Connector
	// returned no managementPlaneInfo (what it does for a revoked certificate).
	DirectorURL                    string
	CertificateSecuredConnectorURL string
}

// String never prints the token.
func (c Configuration) String() string {
	return "Configuration(subject=" + c.Subject + ", director=" + c.DirectorURL + ", connector=" + c.CertificateSecuredConnectorURL + ")"
}

// GoString keeps %#v from printing the token too.
func (c Configuration) GoString() string { return c.String() }

// CertificationResult is what signCertificateSigningRequest returns, decoded from
// base64: PEM blocks.
type CertificationResult struct {
	CertificateChain  []byte // client certificate first, then the CA(s)
	CACertificate     []byte
	ClientCertificate []byte
}

// Credentials are the runtime's own: its client certificate and key, the chain it
// presents, and the Compass CA. All PEM.
type Credentials struct {
	CertificatePEM []byte
	KeyPEM         []byte
	ChainPEM       []byte
	CAPEM          []byte
}

// String never prints the key.
func (c Credentials) String() string { return "Credentials(redacted)" }

// GoString keeps %#v from printing the key too.
func (c Credentials) GoString() string { return c.String() }
