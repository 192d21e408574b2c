package telemetry

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every appconnector metric.
const namespace = "appconnector"

// DefaultMetricsAddr is where the metrics listener binds unless told otherwise: 9464 is
// the port OpenTelemetry's Prometheus exporters use, and loopback keeps pprof private.
const DefaultMetricsAddr = "127.0.0.1:9464"

// Config configures New.
type Config struct {
	// MetricsAddr is the listen address of the metrics listener (--metrics-addr); empty
	// turns the listener off (the registry still works, e.g. for tests).
	MetricsAddr string
	// Pprof mounts net/http/pprof under /debug/pprof/ on the metrics listener (--pprof).
	Pprof bool
	// OTLPEndpoint is the base URL of an OTLP/HTTP receiver (--otlp-endpoint), as
	// OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces is appended. Empty: the standard
	// environment variables decide, and without them tracing is off.
	OTLPEndpoint string
	// ServiceName is the OpenTelemetry service.name (default "appconnector"); the
	// OTEL_SERVICE_NAME variable overrides it, as the specification says.
	ServiceName string
	// Version is reported by appconnector_build_info and as service.version (default:
	// the main module's version from the build info).
	Version string
	// Getenv reads the OTEL_* variables (default os.Getenv).
	Getenv func(string) string
	// Now is the clock of the store metrics (default time.Now).
	Now func() time.Time
}

// RegisterFlags adds --metrics-addr, --pprof and --otlp-endpoint to fs, writing into c.
func RegisterFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.MetricsAddr, "metrics-addr", DefaultMetricsAddr, "listen address of the Prometheus metrics listener, GET /metrics (empty: off)")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on --metrics-addr")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", "", "OTLP/HTTP base URL traces are exported to, e.g. http://127.0.0.1:4318 (default OTEL_EXPORTER_OTLP_ENDPOINT; unset: tracing off)")
}

// Telemetry holds the registry, the metric sets and the tracer of one process.
type Telemetry struct {
	Registry  *prometheus.Registry
	Gateway   *GatewayMetrics
	Connector *ConnectorMetrics
	Events    *EventMetrics
	Stores    *StoreMetrics
	Tracing   *Tracing

	cfg Config
}

// New registers every metric on a fresh registry (with Go runtime, process and build
// info collectors) and sets up tracing. Call Shutdown to flush spans before exit.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = mainVersion()
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "appconnector"
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(cfg.Version),
	)
	tr, err := NewTracing(ctx, TracingConfig{
		Endpoint:       cfg.OTLPEndpoint,
		ServiceName:    cfg.ServiceName,
		ServiceVersion: cfg.Version,
		Getenv:         cfg.Getenv,
	})
	if err != nil {
		return nil, err
	}
	return &Telemetry{
		Registry:  reg,
		Gateway:   NewGatewayMetrics(reg),
		Connector: NewConnectorMetrics(reg),
		Events:    NewEventMetrics(reg),
		Stores:    NewStoreMetrics(reg, cfg.Now),
		Tracing:   tr,
		cfg:       cfg,
	}, nil
}

// Config returns the effective configuration.
func (t *Telemetry) Config() Config { return t.cfg }

// Handler serves GET /metrics in the Prometheus text (or OpenMetrics, when asked)
// format and, with Config.Pprof, net/http/pprof under /debug/pprof/.
func (t *Telemetry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(t.Registry,
		promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true})))
	if t.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// NewServer returns the metrics listener's server for Config.MetricsAddr, or nil when
// the listener is off. Profiles run for up to the requested seconds, so there is no
// write timeout with pprof.
func (t *Telemetry) NewServer() *http.Server {
	if t.cfg.MetricsAddr == "" {
		return nil
	}
	s := &http.Server{
		Addr:              t.cfg.MetricsAddr,
		Handler:           t.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if !t.cfg.Pprof {
		s.WriteTimeout = time.Minute
	}
	return s
}

// Shutdown flushes and stops the span exporter; it is a no-op with tracing off.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil || t.Tracing == nil {
		return nil
	}
	return t.Tracing.Shutdown(ctx)
}

// buildInfo is appconnector_build_info{version,revision,goversion} 1.
func buildInfo(version string) prometheus.Collector {
	revision, goVersion := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "A metric with a constant '1' value labelled by the version, revision and Go version appconnector was built with.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

func mainVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// errNilRegistry guards the metric set constructors.
var errNilRegistry = errors.New("telemetry: nil registry")
