package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/appconnector/appconnector/ports"
)

// Management calls the connector's routes on the management API.
type Management struct {
	base  string
	token string
	hc    *http.Client
}

// NewManagement returns a client of the management API at baseURL authenticating with
// the admin token.
func NewManagement(baseURL, adminToken string, hc *http.Client) *Management {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Management{base: strings.TrimRight(baseURL, "/"), token: adminToken, hc: hc}
}

func (m *Management) header() http.Header {
	h := http.Header{}
	if m.token != "" {
		h.Set("Authorization", "Bearer "+m.token)
	}
	return h
}

// IssueToken asks for a one-time token for the Application.
func (m *Management) IssueToken(ctx context.Context, app string) (schema.TokenResponse, error) {
	var out schema.TokenResponse
	err := do(ctx, m.hc, http.MethodPost, m.base+"/v1/applications/"+url.PathEscape(app)+"/tokens", m.header(), nil, &out)
	return out, err
}

// Events reads the embedded event log.
func (m *Management) Events(ctx context.Context, q ports.EventQuery) (schema.EventList, error) {
	v := url.Values{}
	if q.Application != "" {
		v.Set("application", q.Application)
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	u := m.base + "/v1/events"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var out schema.EventList
	err := do(ctx, m.hc, http.MethodGet, u, m.header(), nil, &out)
	return out, err
}

// RevokeHash revokes a certificate by its SHA-256 fingerprint.
func (m *Management) RevokeHash(ctx context.Context, hash string) error {
	return do(ctx, m.hc, http.MethodPost, m.base+schema.PathRevocations, m.header(), schema.RevocationRequest{Hash: hash}, nil)
}
