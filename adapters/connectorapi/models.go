package connectorapi

import (
	"encoding/base64"
	"net/url"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/domain/certificate"
)

func csrResponse(i certificate.Issued) schema.CSRResponse {
	enc := base64.StdEncoding.EncodeToString
	return schema.CSRResponse{CRT: enc(i.ChainPEM()), ClientCRT: enc(i.ClientPEM()), CACRT: enc(i.CAPEM())}
}

func (c Config) appURLs(app string) (eventsInfo, events, metadata string) {
	base := c.GatewayURL + "/" + url.PathEscape(app)
	return base + "/v1/events/subscribed", base + "/v1/events", base + "/v1/metadata/services"
}

func (c Config) tokenURL(token string) string {
	return c.ConnectorURL + schema.PathSigningInfo + "?token=" + url.QueryEscape(token)
}
