package telemetry

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
	"github.com/appconnector/appconnector/ports"
)

// Refusal reasons of tokens and signing requests. They are label values, so the set
// is closed: ConnectorMetrics maps an error to one of them and anything unknown to
// "other".
const (
	ReasonTokenNotFound       = "token_not_found"
	ReasonTokenExpired        = "token_expired"
	ReasonTokenMalformed      = "token_malformed"
	ReasonApplicationNotFound = "application_not_found"
	ReasonInvalidCSR          = "invalid_csr"
	ReasonRevoked             = "revoked"
	ReasonCertificateExpired  = "certificate_expired"
	ReasonOther               = "other"
)

var tokenReasons = []string{ReasonTokenNotFound, ReasonTokenExpired, ReasonTokenMalformed, ReasonOther}

var csrReasons = []string{ReasonTokenNotFound, ReasonTokenExpired, ReasonTokenMalformed,
	ReasonApplicationNotFound, ReasonInvalidCSR, ReasonRevoked, ReasonCertificateExpired, ReasonOther}

// RefusalReason maps an error of the connector's use cases to a reason label. The
// pairing and certificate sentinels are told apart because both have an ErrExpired.
func RefusalReason(err error) string {
	switch {
	case errors.Is(err, pairing.ErrNotFound):
		return ReasonTokenNotFound
	case errors.Is(err, pairing.ErrExpired):
		return ReasonTokenExpired
	case errors.Is(err, pairing.ErrMalformed):
		return ReasonTokenMalformed
	case errors.Is(err, application.ErrNotFound):
		return ReasonApplicationNotFound
	case errors.Is(err, certificate.ErrInvalidCSR), errors.Is(err, certificate.ErrInvalidSubject):
		return ReasonInvalidCSR
	case errors.Is(err, certificate.ErrRevoked):
		return ReasonRevoked
	case errors.Is(err, certificate.ErrExpired):
		return ReasonCertificateExpired
	}
	return ReasonOther
}

// ConnectorMetrics are the Connector's: one-time tokens, signing requests, renewals,
// revocations, and the expiry of the CA and the serving certificates.
type ConnectorMetrics struct {
	issued, redeemed     prometheus.Counter
	tokenRefused         map[string]prometheus.Counter
	signed               prometheus.Counter
	csrRefused           map[string]prometheus.Counter
	renewed, revoked     prometheus.Counter
	expiry               *prometheus.GaugeVec
	tokenOther, csrOther prometheus.Counter
}

// NewConnectorMetrics registers the Connector's metrics on reg.
func NewConnectorMetrics(reg prometheus.Registerer) *ConnectorMetrics {
	if reg == nil {
		panic(errNilRegistry)
	}
	const sub = "connector"
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help})
		reg.MustRegister(c)
		return c
	}
	byReason := func(name, help string, reasons []string) map[string]prometheus.Counter {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help}, []string{"reason"})
		reg.MustRegister(v)
		m := make(map[string]prometheus.Counter, len(reasons))
		for _, r := range reasons {
			m[r] = v.WithLabelValues(r)
		}
		return m
	}
	m := &ConnectorMetrics{
		issued:       counter("tokens_issued_total", "One-time tokens issued (by the management API and as the next token of a signing-request info)."),
		redeemed:     counter("tokens_redeemed_total", "One-time tokens used up successfully."),
		tokenRefused: byReason("tokens_refused_total", "One-time tokens refused, by reason.", tokenReasons),
		signed:       counter("csrs_signed_total", "Certificate signing requests signed with a one-time token."),
		csrRefused:   byReason("csrs_refused_total", "Certificate signing and renewal requests refused, by reason.", csrReasons),
		renewed:      counter("certificates_renewed_total", "Client certificates renewed with a valid client certificate."),
		revoked:      counter("certificates_revoked_total", "Client certificates revoked (by their holder or by fingerprint)."),
		expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "certificate_expiry_timestamp_seconds",
			Help: "NotAfter of the CA and the serving certificates, as a Unix timestamp; alert on it minus time()."}, []string{"certificate"}),
	}
	m.tokenOther, m.csrOther = m.tokenRefused[ReasonOther], m.csrRefused[ReasonOther]
	reg.MustRegister(m.expiry)
	return m
}

// TokenIssued counts an issued one-time token.
func (m *ConnectorMetrics) TokenIssued() {
	if m != nil {
		m.issued.Inc()
	}
}

// TokenRedeemed counts a one-time token used up successfully.
func (m *ConnectorMetrics) TokenRedeemed() {
	if m != nil {
		m.redeemed.Inc()
	}
}

// TokenRefused counts a refused one-time token, with the reason taken from err.
func (m *ConnectorMetrics) TokenRefused(err error) {
	if m == nil {
		return
	}
	if c, ok := m.tokenRefused[RefusalReason(err)]; ok {
		c.Inc()
		return
	}
	m.tokenOther.Inc()
}

// CSRSigned counts a certificate issued for a signing request with a token.
func (m *ConnectorMetrics) CSRSigned() {
	if m != nil {
		m.signed.Inc()
	}
}

// CSRRefused counts a refused signing or renewal request, with the reason from err.
func (m *ConnectorMetrics) CSRRefused(err error) {
	if m == nil {
		return
	}
	if c, ok := m.csrRefused[RefusalReason(err)]; ok {
		c.Inc()
		return
	}
	m.csrOther.Inc()
}

// CertificateRenewed counts a renewal.
func (m *ConnectorMetrics) CertificateRenewed() {
	if m != nil {
		m.renewed.Inc()
	}
}

// CertificateRevoked counts a revocation.
func (m *ConnectorMetrics) CertificateRevoked() {
	if m != nil {
		m.revoked.Inc()
	}
}

// SetCertificateExpiry records when the named certificate expires. name is one of a
// few fixed names chosen by the wiring ("ca", "connector", "mtls", ...), never input.
func (m *ConnectorMetrics) SetCertificateExpiry(name string, notAfter time.Time) {
	if m != nil {
		m.expiry.WithLabelValues(name).Set(float64(notAfter.Unix()))
	}
}

// ObserveCertificate records the expiry of the first certificate of chain (a leaf or
// the CA); an empty chain is ignored.
func (m *ConnectorMetrics) ObserveCertificate(name string, chain ...*x509.Certificate) {
	if len(chain) > 0 && chain[0] != nil {
		m.SetCertificateExpiry(name, chain[0].NotAfter)
	}
}

// InstrumentSigner wraps signer so every signing runs in a "connector.sign_csr" span
// with the certificate's Application (its CN, checked against the registry before
// signing). With tracing off it returns signer itself.
func (t *Tracing) InstrumentSigner(signer ports.CertificateSigner) ports.CertificateSigner {
	if !t.Enabled() {
		return signer
	}
	return &tracedSigner{CertificateSigner: signer, t: t}
}

type tracedSigner struct {
	ports.CertificateSigner
	t *Tracing
}

func (s *tracedSigner) Sign(ctx context.Context, req certificate.Request) (certificate.Issued, error) {
	ctx, span := s.t.Start(ctx, SpanSignCSR, req.Subject.CommonName, "")
	issued, err := s.CertificateSigner.Sign(ctx, req)
	span.End(err)
	return issued, err
}
