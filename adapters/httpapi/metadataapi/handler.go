package metadataapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/app/metadata"
)

// maxBodyBytes bounds a service document. The management server enforces the same
// limit; this keeps the handler safe when mounted elsewhere.
const maxBodyBytes = 1 << 20

// Handler serves the Application Registry routes. It implements the management API's
// Routes interface.
type Handler struct {
	svc    *metadata.Service
	logger *slog.Logger
}

// New returns the registry handler over the given use cases. Nil dependencies are
// programming errors and panic.
func New(svc *metadata.Service, logger *slog.Logger) *Handler {
	if svc == nil || logger == nil {
		panic("metadataapi.New: nil dependency")
	}
	return &Handler{svc: svc, logger: logger}
}

// Register mounts the registry routes on g.
func (h *Handler) Register(g *echo.Group) {
	g.POST("/:application/v1/metadata/services", h.create)
	g.GET("/:application/v1/metadata/services", h.list)
	g.GET("/:application/v1/metadata/services/:serviceId", h.get)
	g.PUT("/:application/v1/metadata/services/:serviceId", h.update)
	g.DELETE("/:application/v1/metadata/services/:serviceId", h.delete)
	g.GET("/:application/v1/metadata/api.yaml", h.apiSpec)
	g.Any("/:application/v1/metadata", h.redirectToSpec)
}

func (h *Handler) create(c echo.Context) error {
	def, err := h.readDefinition(c)
	if err != nil {
		return h.bodyError(c, "register service", err)
	}
	id, err := h.svc.RegisterService(c.Request().Context(), param(c, "application"), def)
	if err != nil {
		return h.fail(c, "register service", err)
	}
	return c.JSON(http.StatusOK, CreateServiceResponse{ID: id})
}

func (h *Handler) list(c echo.Context) error {
	services, err := h.svc.ListServices(c.Request().Context(), param(c, "application"))
	if err != nil {
		return h.fail(c, "list services", err)
	}
	out := make([]Service, 0, len(services))
	for _, s := range services {
		out = append(out, fromSummary(s))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) get(c echo.Context) error {
	def, err := h.svc.GetService(c.Request().Context(), param(c, "application"), param(c, "serviceId"))
	if err != nil {
		return h.fail(c, "get service", err)
	}
	return c.JSON(http.StatusOK, fromDefinition(def))
}

func (h *Handler) update(c echo.Context) error {
	def, err := h.readDefinition(c)
	if err != nil {
		return h.bodyError(c, "update service", err)
	}
	out, err := h.svc.UpdateService(c.Request().Context(), param(c, "application"), param(c, "serviceId"), def)
	if err != nil {
		return h.fail(c, "update service", err)
	}
	return c.JSON(http.StatusOK, fromDefinition(out))
}

func (h *Handler) delete(c echo.Context) error {
	if err := h.svc.DeleteService(c.Request().Context(), param(c, "application"), param(c, "serviceId")); err != nil {
		return h.fail(c, "delete service", err)
	}
	return c.NoContent(http.StatusNoContent)
}

// errBodyTooLarge marks a body above maxBodyBytes.
var errBodyTooLarge = errors.New("body too large")

func (h *Handler) readDefinition(c echo.Context) (metadata.ServiceDefinition, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return metadata.ServiceDefinition{}, errBodyTooLarge
		}
		return metadata.ServiceDefinition{}, &decodeError{msg: "Failed to read request body"}
	}
	return decodeServiceDetails(body)
}

func (h *Handler) bodyError(c echo.Context, action string, err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body too large, the limit is %d bytes", maxBodyBytes))
	}
	return h.fail(c, action, err)
}

// param returns a path parameter decoded: Echo hands out the escaped form when the
// request path contains escapes.
func param(c echo.Context, name string) string {
	raw := c.Param(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}
