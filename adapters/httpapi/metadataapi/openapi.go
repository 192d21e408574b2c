package metadataapi

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is Kyma's Application Registry OpenAPI document, unchanged.
//
//go:embed api.yaml
var openAPIDocument []byte

func (h *Handler) apiSpec(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", openAPIDocument)
}

// redirectToSpec answers /{application}/v1/metadata, as Kyma does, with a permanent
// redirect to the document.
func (h *Handler) redirectToSpec(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, c.Request().URL.EscapedPath()+"/api.yaml")
}
