// Package schema holds the connector APIs' paths and JSON bodies, shared by the server
// (adapters/connectorapi) and its clients, so that a client links neither Echo nor the
// server's use cases.
package schema

import "github.com/appconnector/appconnector/domain/event"

// Paths of the connector APIs.
const (
	PathSigningInfo    = "/v1/applications/signingRequests/info"
	PathCertificates   = "/v1/applications/certificates"
	PathManagementInfo = "/v1/applications/management/info"
	PathRenewals       = "/v1/applications/certificates/renewals"
	PathRevocations    = "/v1/applications/certificates/revocations"
)

// TokenResponse is the answer to a token request (Kyma's tokenResponse, plus expiresAt).
type TokenResponse struct {
	URL       string `json:"url"`
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt,omitempty"`
}

// CertInfo describes the certificate a client must request.
type CertInfo struct {
	Subject      string `json:"subject"`
	Extensions   string `json:"extensions"`
	KeyAlgorithm string `json:"key-algorithm"`
}

// APIURLs are the URLs of the signing-request info.
type APIURLs struct {
	EventsInfoURL   string `json:"eventsInfoUrl"`
	EventsURL       string `json:"eventsUrl"`
	MetadataURL     string `json:"metadataUrl"`
	InfoURL         string `json:"infoUrl"`
	CertificatesURL string `json:"certificatesUrl"`
}

// CSRInfoResponse is the answer of GET /v1/applications/signingRequests/info.
type CSRInfoResponse struct {
	CSRURL      string   `json:"csrUrl"`
	API         APIURLs  `json:"api"`
	Certificate CertInfo `json:"certificate"`
}

// CSRRequest is the body of certificate and renewal requests.
type CSRRequest struct {
	CSR string `json:"csr"`
}

// CSRResponse carries the issued certificate, base64 of PEM: crt = client + CA chain.
type CSRResponse struct {
	CRT       string `json:"crt"`
	ClientCRT string `json:"clientCrt"`
	CACRT     string `json:"caCrt"`
}

// ClientIdentity names the Application of a client certificate.
type ClientIdentity struct {
	Application string `json:"application"`
	Group       string `json:"group,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
}

// ManagementURLs are the URLs of the management info.
type ManagementURLs struct {
	EventsInfoURL string `json:"eventsInfoUrl"`
	EventsURL     string `json:"eventsUrl"`
	MetadataURL   string `json:"metadataUrl"`
	RenewCertURL  string `json:"renewCertUrl"`
	RevokeCertURL string `json:"revokeCertUrl"`
}

// ManagementInfoResponse is the answer of GET /v1/applications/management/info.
type ManagementInfoResponse struct {
	ClientIdentity ClientIdentity `json:"clientIdentity"`
	URLs           ManagementURLs `json:"urls"`
	Certificate    CertInfo       `json:"certificate"`
	// CertificateExpiresAt is the presented certificate's expiry (RFC 3339); an
	// addition to Kyma's shape that lets clients schedule renewal.
	CertificateExpiresAt string `json:"certificateExpiresAt,omitempty"`
}

// RevocationRequest is the body of the management revocation (Kyma's internal API).
type RevocationRequest struct {
	Hash string `json:"hash"`
}

// EventList is the answer of GET /v1/events. Next is the sequence number to pass as
// ?after= to get the following page (the last returned, or the given after).
type EventList struct {
	Events []event.Record `json:"events"`
	Next   uint64         `json:"next"`
}
