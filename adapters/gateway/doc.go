// Package gateway is the Application Gateway's HTTP side: the handlers of the standalone
// (/{app}/{service}/{path...}) and Compass (/{app}/{service}/{entry}/{path...}) listeners,
// a httputil.ReverseProxy per listener, credential injection (Basic, OAuth 2.0 client
// credentials, OAuth with an mTLS token call, client certificates, the Access-Token
// override), CSRF tokens, the single retry on 401/403, and the response rules of Kyma's
// central-application-gateway (5xx -> 502 with Target-System-Status, Location rewriting).
//
// Nothing here reads the store per request: routes come from app/gateway.Routes, and the
// transports, token caches and CSRF caches it binds to each endpoint live as long as an
// endpoint uses them. See docs/gateway.md for the behaviour and how it differs from Kyma.
package gateway
