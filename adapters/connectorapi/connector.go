package connectorapi

import (
	"net/http"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/domain/certificate"
)

func (h *handlers) signingInfo(c echo.Context) error {
	token := c.QueryParam("token")
	if token == "" {
		return echo.NewHTTPError(http.StatusForbidden, msgTokenMissing)
	}
	info, err := h.svc.SigningRequestInfo(c.Request().Context(), token)
	if err != nil {
		return err
	}
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
	token := c.QueryParam("token")
	if token == "" {
		return echo.NewHTTPError(http.StatusForbidden, msgTokenMissing)
	}
	// The token is checked before the body is read, so a stranger cannot make the
	// server wait for one.
	if err := h.svc.CheckToken(c.Request().Context(), token); err != nil {
		return err
	}
	var req schema.CSRRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	issued, err := h.svc.SignCSR(c.Request().Context(), token, req.CSR)
	if err != nil {
		return err
	}
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
	id, err := h.identity(c)
	if err != nil {
		return err
	}
	if err := h.svc.CheckCertificate(c.Request().Context(), id); err != nil {
		return err
	}
	var req schema.CSRRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	issued, err := h.svc.Renew(c.Request().Context(), id, req.CSR)
	if err != nil {
		return err
	}
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
	return c.NoContent(http.StatusCreated)
}
