package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/appconnector/appconnector/adapters/manifest"
)

// Media types of responses.
const (
	contentTypeJSON = "application/json"
	contentTypeYAML = "application/yaml"
)

// acceptedTypes is what a 415 tells the client to send.
const acceptedTypes = "send application/json or application/yaml"

// requestFormat reads the body's format from Content-Type. A body without one is
// sniffed; any type other than JSON or YAML (text/plain and curl's default form type
// included) is refused with 415, as the documentation promises, rather than guessed at.
func requestFormat(c echo.Context) (manifest.Format, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct == "" {
		return manifest.FormatAuto, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, echo.NewHTTPError(http.StatusUnsupportedMediaType, "malformed Content-Type header: "+acceptedTypes)
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return manifest.FormatJSON, nil
	case isYAML(mt):
		return manifest.FormatYAML, nil
	}
	return 0, echo.NewHTTPError(http.StatusUnsupportedMediaType, "unsupported Content-Type "+mt+": "+acceptedTypes)
}

func isYAML(mt string) bool {
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return true
	}
	return strings.HasSuffix(mt, "+yaml")
}

// responseFormat picks JSON or YAML from ?output= (as kubectl's -o) or else the first
// JSON or YAML type the Accept header names; JSON by default.
func responseFormat(c echo.Context) (manifest.Format, error) {
	if out := c.QueryParam("output"); out != "" {
		f, err := manifest.ParseFormat(out)
		if err != nil {
			return 0, badRequest("query parameter output: %v", err)
		}
		return f, nil
	}
	for _, part := range strings.Split(c.Request().Header.Get(echo.HeaderAccept), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case isYAML(mt):
			return manifest.FormatYAML, nil
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			return manifest.FormatJSON, nil
		}
	}
	return manifest.FormatJSON, nil
}

// writeDocument answers with v (a manifest document type) in the requested format.
func writeDocument(c echo.Context, code int, v any) error {
	f, err := responseFormat(c)
	if err != nil {
		return err
	}
	b, err := manifest.Marshal(v, f)
	if err != nil {
		return err
	}
	ct := contentTypeJSON
	if f == manifest.FormatYAML {
		ct = contentTypeYAML
	}
	return c.Blob(code, ct, b)
}

// readBody reads at most limit bytes of the request body; a larger body is a
// *http.MaxBytesError, which the error handler answers with 413.
func (s *Server) readBody(c echo.Context) ([]byte, manifest.Format, error) {
	f, err := requestFormat(c)
	if err != nil {
		return nil, 0, err
	}
	req := c.Request()
	if req.ContentLength > s.limit {
		return nil, 0, &http.MaxBytesError{Limit: s.limit}
	}
	b, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, s.limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, 0, err
		}
		return nil, 0, badRequest("read request body: %v", err)
	}
	if len(b) == 0 {
		return nil, 0, badRequest("request body is empty: send a document")
	}
	return b, f, nil
}
