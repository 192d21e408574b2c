package httpapi

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// nameParam returns the :name path parameter decoded. Echo routes on the escaped path
// whenever it differs from the canonical escaping (as in "orders%2Dapp" or "a%2Fb") and
// then hands out the parameter still escaped, so "orders%2Dapp" would not find
// "orders-app" and a PUT of it would not match its own metadata.name.
func nameParam(c echo.Context) string {
	raw := c.Param("name")
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}
