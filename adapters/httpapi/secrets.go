package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/manifest"
)

// Secrets go in with values and come out as views: key names, never values.

func (s *Server) listSecrets(c echo.Context) error {
	secrets, err := s.reg.ListSecrets(c.Request().Context())
	if err != nil {
		return err
	}
	return writeDocument(c, http.StatusOK, manifest.NewSecretViewList(secrets))
}

func (s *Server) getSecret(c echo.Context) error {
	sec, err := s.reg.GetSecret(c.Request().Context(), nameParam(c))
	if err != nil {
		return err
	}
	return writeDocument(c, http.StatusOK, manifest.NewSecretView(sec))
}

// putSecret creates (201) or replaces (200) the Secret named in the URL, with the same
// name rules as putApplication, and answers with its view.
func (s *Server) putSecret(c echo.Context) error {
	body, f, err := s.readBody(c)
	if err != nil {
		return err
	}
	sec, err := manifest.DecodeSecret(body, f)
	if err != nil {
		return err
	}
	name := nameParam(c)
	if sec.Name == "" {
		sec.Name = name
	} else if sec.Name != name {
		return badRequest("metadata.name %q does not match the name %q in the URL", sec.Name, name)
	}
	stored, created, err := s.reg.ApplySecret(c.Request().Context(), sec)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/v1/secrets/"+stored.Name)
	}
	return writeDocument(c, code, manifest.NewSecretView(stored))
}

func (s *Server) deleteSecret(c echo.Context) error {
	if err := s.reg.DeleteSecret(c.Request().Context(), nameParam(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
