package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// tokenAuth checks "Authorization: Bearer <admin token>".
type tokenAuth struct {
	// want is the SHA-256 of the token: comparing fixed-size digests in constant time
	// does not leak the token's length either.
	want    [sha256.Size]byte
	enabled bool
}

func newTokenAuth(token string) *tokenAuth {
	return &tokenAuth{want: sha256.Sum256([]byte(token)), enabled: token != ""}
}

var errUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "missing or invalid bearer token")

func (a *tokenAuth) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// c.Path() is the matched route, so "/healthz/../v1/secrets" cannot pass as a probe.
		if isProbe(c.Path()) {
			return next(c)
		}
		if !a.allows(c.Request().Header.Get(echo.HeaderAuthorization)) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="appconnector"`)
			return errUnauthorized
		}
		return next(c)
	}
}

func (a *tokenAuth) allows(header string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], a.want[:]) == 1 && a.enabled
}
