package connectorapi

import (
	"errors"
	"net/http"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// isTokenError reports whether err refuses the one-time token itself, as opposed to
// its Application or the request.
func isTokenError(err error) bool {
	return errors.Is(err, pairing.ErrNotFound) || errors.Is(err, pairing.ErrExpired) || errors.Is(err, pairing.ErrMalformed)
}

// errNoToken is a request without a token, counted like a malformed one.
var errNoToken = pairing.ErrMalformed

func (h *handlers) signingInfo(c echo.Context) error {
	m := h.cfg.Metrics
	token := c.QueryParam("token")
	if token == "" {
		m.TokenRefused(errNoToken)
		return echo.NewHTTPError(http.StatusForbidden, msgTokenMissing)
	}
	info, err := h.svc.SigningRequestInfo(c.Request().Context(), token)
	if err != nil {
		m.TokenRefused(err)
		return err
	}
	// The token is used up and the next one, for the CSR, issued.
	m.TokenRedeemed()
	m.TokenIssued()
	eventsInfo, events, metadata := h.cfg.appURLs(info.Application)
	return writeJSON(c, http.StatusOK, schema.CSRInfoResponse{
		CSRURL: h.cfg.ConnectorURL + schema.PathCertificates + "?token=" + info.Next.Secret,
		API: schema.APIURLs{
			EventsInfoURL:   eventsInfo,
			EventsURL:       events,
			MetadataURL:     metadata,
			InfoURL:         h.cfg.MTLSURL + schema.PathManagementInfo,
			CertificatesURL: h.cfg.ConnectorURL + schema.PathCertificates,
		},
		Certificate: schema.CertInfo{Subject: info.Subject.String(), KeyAlgorithm: info.KeyAlgorithm},
	})
}

func (h *handlers) signCSR(c echo.Context) error {
	m := h.cfg.Metrics
	refuse := func(err error) error {
		if isTokenError(err) {
			m.TokenRefused(err)
		}
		m.CSRRefused(err)
		return err
	}
	token := c.QueryParam("token")
	if token == "" {
		_ = refuse(errNoToken)
		return echo.NewHTTPError(http.StatusForbidden, msgTokenMissing)
	}
	// The token is checked before the body is read, so a stranger cannot make the
	// server wait for one.
	if err := h.svc.CheckToken(c.Request().Context(), token); err != nil {
		return refuse(err)
	}
	var req schema.CSRRequest
	if err := bindJSON(c, &req); err != nil {
		m.CSRRefused(certificate.ErrInvalidCSR)
		return err
	}
	issued, err := h.svc.SignCSR(c.Request().Context(), token, req.CSR)
	if err != nil {
		return refuse(err)
	}
	m.TokenRedeemed()
	m.CSRSigned()
	return writeJSON(c, http.StatusCreated, csrResponse(issued))
}

func (h *handlers) identity(c echo.Context) (certificate.Identity, error) {
	ids, err := h.mtlsIdentities(c.Request())
	if err != nil {
		return certificate.Identity{}, err
	}
	c.Set(logAppKey, ids[0].CommonName)
	return ids[0], nil
}

func (h *handlers) managementInfo(c echo.Context) error {
	id, err := h.identity(c)
	if err != nil {
		return err
	}
	info, err := h.svc.ManagementInfo(c.Request().Context(), id)
	if err != nil {
		return err
	}
	eventsInfo, events, metadata := h.cfg.appURLs(info.Application)
	return writeJSON(c, http.StatusOK, schema.ManagementInfoResponse{
		ClientIdentity: schema.ClientIdentity{Application: info.Application},
		URLs: schema.ManagementURLs{
			EventsInfoURL: eventsInfo,
			EventsURL:     events,
			MetadataURL:   metadata,
			RenewCertURL:  h.cfg.MTLSURL + schema.PathRenewals,
			RevokeCertURL: h.cfg.MTLSURL + schema.PathRevocations,
		},
		Certificate:          schema.CertInfo{Subject: info.Subject.String(), KeyAlgorithm: info.KeyAlgorithm},
		CertificateExpiresAt: formatTime(info.CertificateExpiresAt),
	})
}

func (h *handlers) renew(c echo.Context) error {
	m := h.cfg.Metrics
	id, err := h.identity(c)
	if err != nil {
		m.CSRRefused(err)
		return err
	}
	if err := h.svc.CheckCertificate(c.Request().Context(), id); err != nil {
		m.CSRRefused(err)
		return err
	}
	var req schema.CSRRequest
	if err := bindJSON(c, &req); err != nil {
		m.CSRRefused(certificate.ErrInvalidCSR)
		return err
	}
	issued, err := h.svc.Renew(c.Request().Context(), id, req.CSR)
	if err != nil {
		m.CSRRefused(err)
		return err
	}
	m.CertificateRenewed()
	return writeJSON(c, http.StatusCreated, csrResponse(issued))
}

func (h *handlers) revoke(c echo.Context) error {
	id, err := h.identity(c)
	if err != nil {
		return err
	}
	if err := h.svc.Revoke(c.Request().Context(), id); err != nil {
		return err
	}
	h.cfg.Metrics.CertificateRevoked()
	return c.NoContent(http.StatusCreated)
}
