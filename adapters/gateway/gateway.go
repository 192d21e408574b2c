package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/appconnector/appconnector/adapters/telemetry"
	appgw "github.com/appconnector/appconnector/app/gateway"
	dgw "github.com/appconnector/appconnector/domain/gateway"
	"github.com/appconnector/appconnector/ports"
)

// Gateway is the Application Gateway: a route table kept current from the stores'
// watches, and the handlers of its two listeners.
type Gateway struct {
	cfg    Config
	logger *slog.Logger
	routes *appgw.Routes
	res    *resources

	standalone http.Handler
	compass    http.Handler
}

// New builds a gateway over the two stores. It does not start anything: call Run (in
// its own goroutine) to load and follow the stores; the handlers answer 503 until the
// first complete route table is loaded (see Ready and WaitReady).
func New(cfg Config, apps ports.ApplicationRepository, secrets ports.SecretStore, logger *slog.Logger) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	logger = logger.With("component", "gateway")
	g := &Gateway{cfg: cfg, logger: logger}
	g.res = newResources(&g.cfg, logger)
	g.routes = appgw.NewRoutes(apps, secrets, g.res, logger)
	proxy := newReverseProxy(&g.cfg, logger)
	// With tracing off Transport and Middleware return what they are given.
	proxy.Transport = cfg.Tracing.Transport(proxy.Transport, telemetry.SpanUpstream)
	level := slog.LevelDebug
	if cfg.AccessLog {
		level = slog.LevelInfo
	}
	mk := func(m dgw.Mode, name string) http.Handler {
		var h http.Handler = &handler{mode: m, routes: g.routes, proxy: proxy, cfg: &g.cfg, logger: logger, logLevel: level,
			metrics: cfg.Metrics, traced: cfg.Tracing.Enabled()}
		h = cfg.Tracing.Middleware(h, telemetry.SpanGatewayRequest)
		if cfg.Middleware != nil {
			h = cfg.Middleware(name, h)
		}
		return h
	}
	g.standalone = mk(dgw.Standalone, ListenerStandalone)
	g.compass = mk(dgw.Compass, ListenerCompass)
	return g, nil
}

// Run loads the route table and keeps it current until ctx is done (returns nil) or a
// store's watch ends (returns an error). Call it once.
func (g *Gateway) Run(ctx context.Context) error { return g.routes.Run(ctx) }

// Ready reports whether the route table has been loaded.
func (g *Gateway) Ready() bool { return g.routes.Ready() }

// WaitReady blocks until the route table has been loaded or ctx is done.
func (g *Gateway) WaitReady(ctx context.Context) error { return g.routes.WaitReady(ctx) }

// StandaloneHandler serves /{app}/{service}/{path...} (Kyma's port 8080).
func (g *Gateway) StandaloneHandler() http.Handler { return g.standalone }

// CompassHandler serves /{app}/{service}/{entry}/{path...} (Kyma's port 8082).
func (g *Gateway) CompassHandler() http.Handler { return g.compass }

// NewServer returns an http.Server for a gateway listener with timeouts that suit a
// proxy: headers must arrive within 10 s, but there is no read or write deadline on the
// whole request, so long uploads and downloads are not cut while bytes flow (Kyma cut
// them at its proxy timeout).
func NewServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
}
