// Command compass-double runs the Compass double (internal/compassdouble) so that a user
// can try Compass mode on one machine: the token-secured Connector, the
// certificate-secured Connector and the Director over TLS with the double's own CA, and
// a plain-HTTP admin API on loopback to create runtimes, one-time tokens and
// applications and to make calls fail.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/appconnector/appconnector/cmd/internal/flagenv"
	"github.com/appconnector/appconnector/internal/compassdouble"
)

const usage = `compass-double: a Compass (Connector and Director) for trying Compass mode locally.

It serves, over TLS with its own CA (written to --ca-out):
  https://ADDR/connector/graphql        token-secured Connector (header Connector-Token)
  https://ADDR/connector-mtls/graphql   certificate-secured Connector (runtime client certificate)
  https://ADDR/director/graphql         Director (runtime client certificate and header Tenant)
and a plain-HTTP admin API on --admin-addr (loopback only):
  POST   /runtimes                {"id","name","tenant"}          register a runtime
  GET    /runtimes/{id}                                           its labels
  POST   /runtimes/{id}/token                                     a one-time token: {"token","connectorURL"}
  PUT    /applications/{id}       {"runtimeID","application":{...}} create or replace an application
  DELETE /applications/{id}
  POST   /fail/{operation}        {"message"}                     make a root field fail until healed
  DELETE /fail/{operation}        DELETE /fail heals every operation
  operations: configuration signCertificateSigningRequest revokeCertificate runtime
              applicationsForRuntime application setRuntimeLabel

Example (default addresses):
  curl -s -X POST 127.0.0.1:3001/runtimes -d '{"id":"my-runtime","name":"my runtime","tenant":"my-tenant"}'
  curl -s -X POST 127.0.0.1:3001/runtimes/my-runtime/token
  curl -s -X PUT 127.0.0.1:3001/applications/app-1 -d '{"runtimeID":"my-runtime","application":{"name":"orders","bundles":[{"id":"b1","name":"orders-api","apiDefinitions":[{"id":"api-1","name":"orders","targetURL":"https://httpbin.org/anything"}],"defaultInstanceAuth":{"basic":{"username":"user","password":"secret"}}}]}}'

Flags (each also read from APPCONNECTOR_<FLAG> when not given):
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "compass-double:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, adminAddr, caOut, subject string
	validity                        time.Duration
	verbose                         bool
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("compass-double", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:3000", "TLS listen address of the Connector and Director")
	fs.StringVar(&o.adminAddr, "admin-addr", "127.0.0.1:3001", "plain-HTTP listen address of the admin API (loopback only)")
	fs.StringVar(&o.caOut, "ca-out", "compass-ca.pem", "file to write the double's CA certificate (PEM) to, for --compass-ca")
	fs.DurationVar(&o.validity, "certificate-validity", 2160*time.Hour, "validity of the runtime certificates the Connector issues")
	fs.StringVar(&o.subject, "subject", "C=PL,O=Org,OU=OrgUnit,L=Locality,ST=State", "CSR subject without the CN")
	fs.BoolVar(&o.verbose, "v", false, "log every request (never tokens, keys or credentials)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := flagenv.Parse(fs, args, getenv); err != nil {
		return o, err
	}
	if o.validity <= 0 {
		return o, fmt.Errorf("--certificate-validity must be positive, got %s", o.validity)
	}
	if o.caOut == "" {
		return o, errors.New("--ca-out must name a file")
	}
	if err := loopback(o.adminAddr); err != nil {
		return o, err
	}
	return o, nil
}

// loopback refuses an admin address others could reach: the admin API has no
// authentication and hands out tokens.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--admin-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--admin-addr %q: the admin API has no authentication, so it listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	d, err := compassdouble.New(compassdouble.Config{Addr: o.addr, CertificateValidity: o.validity, Subject: o.subject, Logger: logger})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := os.WriteFile(o.caOut, d.CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("write the CA certificate: %w", err)
	}
	// The absolute path, so the printed line can be pasted from any directory.
	caPath, err := filepath.Abs(o.caOut)
	if err != nil {
		caPath = o.caOut
	}
	ln, err := net.Listen("tcp", o.adminAddr)
	if err != nil {
		return fmt.Errorf("admin API: listen on %s: %w", o.adminAddr, err)
	}
	srv := &http.Server{
		Handler:           adminHandler(d),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(stdout, "Compass double is running.\n"+
		"  token-secured Connector:       %s\n"+
		"  certificate-secured Connector: %s\n"+
		"  Director:                      %s\n"+
		"  CA certificate:                %s\n"+
		"  admin API:                     http://%s\n",
		d.ConnectorURL(), d.CertSecuredConnectorURL(), d.DirectorURL(), caPath, ln.Addr())

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("admin API: %w", err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
