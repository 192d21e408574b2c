package compassdouble

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/appconnector/appconnector/adapters/compass/schema"
	"github.com/appconnector/appconnector/domain/compass"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Paths of the three GraphQL endpoints on the double's one listener.
const (
	ConnectorPath     = "/connector/graphql"
	CertConnectorPath = "/connector-mtls/graphql"
	DirectorPath      = "/director/graphql"
)

// Header names Compass's gateway reads.
const (
	TokenHeader  = "Connector-Token"
	TenantHeader = "Tenant"
)

// Token lifetimes of Compass's Director: a runtime's pairing token lives 60 minutes, the
// token the Connector hands out for the CSR 5 minutes.
const (
	RuntimeTokenTTL = 60 * time.Minute
	CSRTokenTTL     = 5 * time.Minute
)

// maxRequests bounds the request log, so a double left running for days does not grow
// without end; the oldest entries go first.
const maxRequests = 10000

// maxBody bounds a GraphQL request body; the agent's queries are a few KiB.
const maxBody = 1 << 20

// Config configures a Double.
type Config struct {
	Addr                string        // listen address; default "127.0.0.1:0"
	CertificateValidity time.Duration // of issued runtime certificates; default 90 days (2160h)
	Subject             string        // CSR subject without CN; default "C=PL,O=Org,OU=OrgUnit,L=Locality,ST=State"
	Logger              *slog.Logger  // optional
}

// Request is one request the double received.
type Request struct {
	Path string
	// Operations are the root fields of the operation (names, not aliases); empty when
	// the request was not valid GraphQL.
	Operations []string
	Header     http.Header
}

type runtimeEntry struct {
	name, tenant string
	labels       map[string]any
}

type appEntry struct {
	runtimeID string
	app       compass.DirectorApplication
}

type tokenEntry struct {
	clientID string
	expires  time.Time
}

// Double is a Compass (Connector and Director) for tests and for trying Compass mode
// locally. It is safe for concurrent use.
type Double struct {
	cfg       Config
	sub       subject
	log       *slog.Logger
	ca        *authority
	director  *ast.Schema
	connector *ast.Schema
	srv       *http.Server
	ln        net.Listener
	baseURL   string
	done      chan struct{}

	// clock is for tokens and certificates; tests in this package replace it.
	clockMu sync.Mutex
	clock   func() time.Time

	mu       sync.Mutex
	runtimes map[string]*runtimeEntry
	apps     map[string]appEntry
	tokens   map[string]tokenEntry
	revoked  map[string]bool
	fails    map[string]string
	calls    map[string]int
	requests []Request
}

// New starts a double listening on cfg.Addr with one TLS listener whose certificate,
// for 127.0.0.1 and localhost, is signed by the double's own CA.
func New(cfg Config) (*Double, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.CertificateValidity == 0 {
		cfg.CertificateValidity = 2160 * time.Hour
	}
	if cfg.CertificateValidity < 0 {
		return nil, errors.New("compass double: certificate validity must be positive")
	}
	if cfg.Subject == "" {
		cfg.Subject = "C=PL,O=Org,OU=OrgUnit,L=Locality,ST=State"
	}
	sub, err := parseSubject(cfg.Subject)
	if err != nil {
		return nil, fmt.Errorf("compass double: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	director, err := loadSchema("director.graphql", schema.Director)
	if err != nil {
		return nil, err
	}
	connector, err := loadSchema("connector.graphql", schema.Connector)
	if err != nil {
		return nil, err
	}
	d := &Double{
		cfg: cfg, sub: sub, log: cfg.Logger, director: director, connector: connector,
		clock: time.Now, done: make(chan struct{}),
		runtimes: map[string]*runtimeEntry{}, apps: map[string]appEntry{}, tokens: map[string]tokenEntry{},
		revoked: map[string]bool{}, fails: map[string]string{}, calls: map[string]int{},
	}
	if d.ca, err = newAuthority(time.Now()); err != nil {
		return nil, fmt.Errorf("compass double: CA: %w", err)
	}
	serverCert, err := d.ca.serverCertificate(time.Now())
	if err != nil {
		return nil, fmt.Errorf("compass double: server certificate: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("compass double: listen on %s: %w", cfg.Addr, err)
	}
	d.ln = ln
	d.baseURL = "https://" + urlHost(ln.Addr().(*net.TCPAddr))
	mux := http.NewServeMux()
	mux.HandleFunc(ConnectorPath, d.serveConnector)
	mux.HandleFunc(CertConnectorPath, d.serveCertConnector)
	mux.HandleFunc(DirectorPath, d.serveDirector)
	d.srv = &http.Server{
		Handler: mux,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{serverCert},
			ClientCAs:    d.ca.pool,
			ClientAuth:   tls.VerifyClientCertIfGiven,
		},
		// The same bounds as the project's RequestLimits: a slow or hostile client
		// cannot hold a connection for ever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(d.done)
		if err := d.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("compass double stopped", "error", err)
		}
	}()
	return d, nil
}

// now reads the clock.
func (d *Double) now() time.Time {
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	return d.clock()
}

// setClock is for tests of expiry.
func (d *Double) setClock(f func() time.Time) {
	d.clockMu.Lock()
	defer d.clockMu.Unlock()
	d.clock = f
}

// urlHost names the listener so that it matches the server certificate: an unspecified
// address is reached through 127.0.0.1.
func urlHost(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(a.Port))
}

// Close stops the listener and waits for the server to end.
func (d *Double) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	if err != nil {
		err = d.srv.Close()
	}
	<-d.done
	return err
}

// ConnectorURL is the token-secured Connector.
func (d *Double) ConnectorURL() string { return d.baseURL + ConnectorPath }

// CertSecuredConnectorURL is the certificate-secured Connector.
func (d *Double) CertSecuredConnectorURL() string { return d.baseURL + CertConnectorPath }

// DirectorURL is the Director.
func (d *Double) DirectorURL() string { return d.baseURL + DirectorPath }

// CACertPEM is the CA of the double's TLS certificate and of the certificates it issues.
func (d *Double) CACertPEM() []byte { return slices.Clone(d.ca.certPEM) }

// AddRuntime registers a runtime, or renames it and changes its tenant; its labels stay.
func (d *Double) AddRuntime(id, name, tenant string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if rt, ok := d.runtimes[id]; ok {
		rt.name, rt.tenant = name, tenant
		return
	}
	d.runtimes[id] = &runtimeEntry{name: name, tenant: tenant, labels: map[string]any{}}
}

// NewRuntimeToken returns a fresh one-time token for the runtime, valid RuntimeTokenTTL.
func (d *Double) NewRuntimeToken(runtimeID string) string {
	return d.issueToken(runtimeID, RuntimeTokenTTL)
}

func (d *Double) issueToken(clientID string, ttl time.Duration) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for t, e := range d.tokens {
		if !now.Before(e.expires) {
			delete(d.tokens, t)
		}
	}
	d.tokens[tok] = tokenEntry{clientID: clientID, expires: now.Add(ttl)}
	return tok
}

// consumeToken returns the client id of a valid token and invalidates it.
func (d *Double) consumeToken(tok string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.tokens[tok]
	if !ok {
		return "", false
	}
	delete(d.tokens, tok)
	if !d.now().Before(e.expires) {
		return "", false
	}
	return e.clientID, true
}

// PutApplication creates or replaces the application with app.ID, assigned to the
// runtime. The double keeps its own copy.
func (d *Double) PutApplication(runtimeID string, app compass.DirectorApplication) {
	app = cloneApp(app)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.apps[app.ID] = appEntry{runtimeID: runtimeID, app: app}
}

// DeleteApplication removes the application; an unknown id is ignored.
func (d *Double) DeleteApplication(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.apps, id)
}

// HasApplication tells whether the application exists (for the admin API).
func (d *Double) HasApplication(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.apps[id]
	return ok
}

// RuntimeLabels returns a copy of the runtime's labels; nil when the runtime is unknown.
func (d *Double) RuntimeLabels(runtimeID string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	rt, ok := d.runtimes[runtimeID]
	if !ok {
		return nil
	}
	return maps.Clone(rt.labels)
}

// SetRuntimeLabelValue sets one label of a known runtime; an unknown runtime is ignored.
func (d *Double) SetRuntimeLabelValue(runtimeID, key string, value any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if rt, ok := d.runtimes[runtimeID]; ok {
		rt.labels[key] = value
	}
}

// Fail makes every later call of the root field operation answer a GraphQL error with
// message, until Heal.
func (d *Double) Fail(operation, message string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fails[operation] = message
}

// Heal ends Fail for operation.
func (d *Double) Heal(operation string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.fails, operation)
}

// HealAll ends every Fail.
func (d *Double) HealAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.fails)
}

// Calls is how many calls of the root field operation were answered, failed ones
// included (not those refused before execution for missing authentication).
func (d *Double) Calls(operation string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[operation]
}

// Requests returns every request received (at most the last 10000), oldest first.
func (d *Double) Requests() []Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Request, len(d.requests))
	for i, r := range d.requests {
		out[i] = Request{Path: r.Path, Operations: slices.Clone(r.Operations), Header: r.Header.Clone()}
	}
	return out
}

// Revoke makes the certificate-secured Connector and the Director refuse the
// certificate (PEM; the first CERTIFICATE block counts) from now on.
func (d *Double) Revoke(certPEM []byte) {
	rest := certPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return
		}
		if block.Type == "CERTIFICATE" {
			d.revokeHash(certHash(block.Bytes))
			return
		}
	}
}

func (d *Double) revokeHash(h string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revoked[h] = true
}

// caller is who sent a request, as Compass's hydrator would tell the Connector.
type caller struct {
	clientID string
	viaCert  bool
	certHash string
	revoked  bool
	// problem says why no client id is known, for the error.
	problem string
}

// certCaller identifies the client by its verified certificate: the CN is a runtime id.
func (d *Double) certCaller(r *http.Request) caller {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return caller{problem: "no client certificate: this endpoint needs the runtime's client certificate issued by the Connector"}
	}
	cert := r.TLS.PeerCertificates[0]
	h := certHash(cert.Raw)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.revoked[h] {
		return caller{viaCert: true, certHash: h, revoked: true, problem: "the client certificate is revoked: pair again with a new one-time token"}
	}
	if _, ok := d.runtimes[cert.Subject.CommonName]; !ok {
		return caller{problem: fmt.Sprintf("the client certificate's CN %q is not a known runtime", cert.Subject.CommonName)}
	}
	return caller{clientID: cert.Subject.CommonName, viaCert: true, certHash: h}
}

func (d *Double) serveConnector(w http.ResponseWriter, r *http.Request) {
	d.serve(w, r, d.connector, func(p *prepared) (caller, gqlerror.List) {
		tok := r.Header.Get(TokenHeader)
		if tok == "" {
			return caller{}, gqlerror.List{gqlerror.Errorf("no %s header: the token-secured Connector needs a one-time token", TokenHeader)}
		}
		id, ok := d.consumeToken(tok)
		if !ok {
			return caller{}, gqlerror.List{gqlerror.Errorf("the %s is invalid, expired or already used: one-time tokens work once", TokenHeader)}
		}
		return caller{clientID: id}, nil
	}, d.connectorRoot)
}

func (d *Double) serveCertConnector(w http.ResponseWriter, r *http.Request) {
	d.serve(w, r, d.connector, func(p *prepared) (caller, gqlerror.List) {
		c := d.certCaller(r)
		// A revoked certificate still reaches the resolvers: Compass answers its
		// configuration query with an empty object rather than an error.
		if c.clientID == "" && !c.revoked {
			return c, gqlerror.List{gqlerror.Errorf("%s", c.problem)}
		}
		return c, nil
	}, d.connectorRoot)
}

func (d *Double) serveDirector(w http.ResponseWriter, r *http.Request) {
	d.serve(w, r, d.director, func(p *prepared) (caller, gqlerror.List) {
		c := d.certCaller(r)
		if c.clientID == "" {
			return c, gqlerror.List{gqlerror.Errorf("%s", c.problem)}
		}
		tenant := r.Header.Get(TenantHeader)
		d.mu.Lock()
		want := d.runtimes[c.clientID].tenant
		d.mu.Unlock()
		switch {
		case tenant == "":
			return c, gqlerror.List{gqlerror.Errorf("no %s header: the Director needs the runtime's tenant", TenantHeader)}
		case tenant != want:
			return c, gqlerror.List{gqlerror.Errorf("the %s header %q is not the tenant of runtime %s", TenantHeader, tenant, c.clientID)}
		}
		return c, nil
	}, d.directorRoot)
}

// serve is the common GraphQL HTTP handling: parse the body (400 if it is not a GraphQL
// request), validate against the schema, authenticate, execute.
func (d *Double) serve(w http.ResponseWriter, r *http.Request, s *ast.Schema,
	auth func(*prepared) (caller, gqlerror.List), root func(caller) *obj) {
	rec := Request{Path: r.URL.Path, Header: r.Header.Clone()}
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("compass double: panic while serving", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeJSON(w, http.StatusInternalServerError, gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("internal error of the Compass double")}})
		}
	}()
	if r.Method != http.MethodPost {
		d.record(rec)
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("GraphQL requests are POSTed")}})
		return
	}
	var req gqlRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil || req.Query == "" {
		d.record(rec)
		msg := "the body is not a GraphQL request: want JSON {\"query\": ..., \"variables\": {...}, \"operationName\": ...}"
		if err != nil {
			msg += ": " + err.Error()
		}
		writeJSON(w, http.StatusBadRequest, gqlResponse{Errors: gqlerror.List{gqlerror.Errorf("%s", msg)}})
		return
	}
	p, errs := prepare(s, req)
	if errs != nil {
		d.record(rec)
		d.log.Info("compass double: invalid operation", "path", r.URL.Path, "errors", errs.Error())
		writeJSON(w, http.StatusOK, gqlResponse{Errors: errs})
		return
	}
	rec.Operations = p.rootFields()
	d.record(rec)
	c, errs := auth(p)
	if errs != nil {
		d.log.Info("compass double: refused", "path", r.URL.Path, "operations", rec.Operations, "error", errs.Error())
		writeJSON(w, http.StatusOK, gqlResponse{Data: json.RawMessage("null"), Errors: errs})
		return
	}
	ex := &executor{schema: s, p: p}
	resp := ex.run(root(c))
	d.log.Info("compass double: served", "path", r.URL.Path, "operations", rec.Operations, "client", c.clientID, "errors", len(resp.Errors))
	writeJSON(w, http.StatusOK, resp)
}

func (d *Double) record(r Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.requests) >= maxRequests {
		d.requests = slices.Delete(d.requests, 0, len(d.requests)-maxRequests+1)
	}
	d.requests = append(d.requests, r)
}

// rootField wraps a root resolver with the call counter and Fail.
func (d *Double) rootField(name string, r resolver) resolver {
	return func(args map[string]any) (any, error) {
		d.mu.Lock()
		d.calls[name]++
		msg, failing := d.fails[name]
		d.mu.Unlock()
		if failing {
			return nil, errors.New(msg)
		}
		return r(args)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
