package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/manifest"
)

func (s *Server) listApplications(c echo.Context) error {
	apps, err := s.reg.ListApplications(c.Request().Context())
	if err != nil {
		return err
	}
	return writeDocument(c, http.StatusOK, manifest.NewApplicationList(apps))
}

func (s *Server) getApplication(c echo.Context) error {
	app, err := s.reg.GetApplication(c.Request().Context(), nameParam(c))
	if err != nil {
		return err
	}
	return writeDocument(c, http.StatusOK, manifest.NewApplicationDocument(app))
}

// putApplication creates (201) or replaces (200) the Application named in the URL with
// the body. metadata.name may be omitted; if given it must match the URL. A
// metadata.resourceVersion makes the write conditional (409 when stale).
func (s *Server) putApplication(c echo.Context) error {
	body, f, err := s.readBody(c)
	if err != nil {
		return err
	}
	app, err := manifest.DecodeApplication(body, f)
	if err != nil {
		return err
	}
	name := nameParam(c)
	if app.Name == "" {
		app.Name = name
	} else if app.Name != name {
		return badRequest("metadata.name %q does not match the name %q in the URL", app.Name, name)
	}
	stored, created, err := s.reg.ApplyApplication(c.Request().Context(), app)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/v1/applications/"+stored.Name)
	}
	return writeDocument(c, code, manifest.NewApplicationDocument(stored))
}

func (s *Server) deleteApplication(c echo.Context) error {
	if err := s.reg.DeleteApplication(c.Request().Context(), nameParam(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
