package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/appconnector/appconnector/adapters/connectorapi/schema"

	"github.com/spf13/cobra"

	connclient "github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/ports"
)

// Connector-related defaults and environment variables.
const (
	envConnectorURL = "APPCONNECTOR_CONNECTOR_URL"
	caFileName      = "ca.crt"
)

func init() {
	commands = append(commands, newTokenCmd, newConnectCmd, newRenewCmd, newRevokeCmd, newEventsCmd)
}

// management returns a client of the connector routes on the management API.
func (g *globals) management() (*connclient.Management, error) {
	token, err := g.Token()
	if err != nil {
		return nil, err
	}
	return connclient.NewManagement(g.ServerURL(), token, &http.Client{Timeout: 30 * time.Second}), nil
}

func newTokenCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "token APPLICATION",
		Short: "Issue a one-time token for connecting an external system",
		Long: "token issues a one-time token (valid for a few minutes, usable once) for the\n" +
			"Application and prints it with the signing-request info URL to hand to the\n" +
			"external system, which connects with: appctl connect --token URL --out DIR",
		Example: "  appctl token orders-app\n  appctl connect --token \"$(appctl token orders-app -o url)\" --out ./orders-certs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "" && output != "url" && output != "json" {
				return fmt.Errorf("--output must be url or json, got %q", output)
			}
			m, err := g.management()
			if err != nil {
				return err
			}
			tok, err := m.IssueToken(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("issue token for %s: %w", args[0], err)
			}
			switch output {
			case "json":
				return json.NewEncoder(g.Out()).Encode(tok)
			case "url":
				_, err = fmt.Fprintln(g.Out(), tok.URL)
				return err
			}
			_, err = fmt.Fprintf(g.Out(), "token:   %s\nurl:     %s\nexpires: %s\n", tok.Token, tok.URL, tok.ExpiresAt)
			return err
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output: url (the URL alone) or json")
	return cmd
}

// tlsFlags configure how appctl verifies the connector's listeners before it has the
// CA certificate it receives with its client certificate.
type tlsFlags struct {
	caFile   string
	insecure bool
}

func (f *tlsFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.caFile, "ca-file", "", "CA certificate to verify the connector with (default: <data-dir>/"+caFileName+" if it exists, else the system roots)")
	cmd.Flags().BoolVar(&f.insecure, "insecure-skip-tls-verify", false, "do not verify the connector's certificate (the token may then leak to an impostor)")
}

func (f *tlsFlags) client(g *globals) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.insecure} //nolint:gosec // explicit opt-in flag
	caFile := f.caFile
	if caFile == "" {
		if p := filepath.Join(g.DataDir(), caFileName); fileExists(p) {
			caFile = p
		}
	}
	if caFile != "" && !f.insecure {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read --ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func newConnectCmd(g *globals) *cobra.Command {
	var (
		token, outDir, connectorURL, keyType string
		tf                                   tlsFlags
	)
	cmd := &cobra.Command{
		Use:   "connect --token TOKEN_OR_URL --out DIR",
		Short: "Connect an external system: key, CSR, client certificate",
		Long: "connect performs what an external system does to pair with an Application: it\n" +
			"fetches the signing-request info with the one-time token, generates a private key\n" +
			"and a CSR for the announced subject, obtains the client certificate, checks it\n" +
			"against the management info and writes everything to DIR (files 0600):\n" +
			"  " + connclient.FileKey + ", " + connclient.FileCert + ", " + connclient.FileChain + ", " + connclient.FileCA + ", " + connclient.FileInfo,
		Example: "  appctl connect --token \"$(appctl token orders-app -o url)\" --out ./orders-certs\n" +
			"  curl --cert ./orders-certs/client-chain.crt --key ./orders-certs/client.key --cacert ./orders-certs/ca.crt \\\n" +
			"    -H 'Content-Type: application/json' -d @event.json \"$(jq -r .eventsUrl ./orders-certs/info.json)\"",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			infoURL, err := signingInfoURL(token, firstSet(connectorURL, g.getenv(envConnectorURL)))
			if err != nil {
				return err
			}
			hc, err := tf.client(g)
			if err != nil {
				return err
			}
			creds, err := connclient.Connect(cmd.Context(), hc, infoURL, keyType)
			if err != nil {
				return fmt.Errorf("connect: %w", err)
			}
			mtls, err := creds.HTTPClient()
			if err != nil {
				return err
			}
			mi, err := connclient.ManagementInfo(cmd.Context(), mtls, creds.Info.API.InfoURL)
			if err != nil {
				return fmt.Errorf("check the new certificate against %s: %w", creds.Info.API.InfoURL, err)
			}
			info := connclient.StoredInfo{
				Application:       mi.ClientIdentity.Application,
				Subject:           mi.Certificate.Subject,
				EventsURL:         mi.URLs.EventsURL,
				ManagementInfoURL: creds.Info.API.InfoURL,
				RenewCertURL:      mi.URLs.RenewCertURL,
				RevokeCertURL:     mi.URLs.RevokeCertURL,
			}
			if err := connclient.WriteFiles(outDir, creds, info); err != nil {
				return err
			}
			fmt.Fprintf(g.Out(), "connected %s: certificate for %q written to %s\nevents:  %s\nexpires: %s\n",
				info.Application, info.Subject, outDir, info.EventsURL, mi.CertificateExpiresAt)
			return nil
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "one-time token, or the URL printed by appctl token (required)")
	cmd.Flags().StringVar(&outDir, "out", "", "directory for the key and certificates (required)")
	cmd.Flags().StringVar(&connectorURL, "connector-url", "", "connector API base URL, when --token is a bare token (env "+envConnectorURL+")")
	cmd.Flags().StringVar(&keyType, "key-type", connclient.KeyRSA2048, "key to generate: rsa2048, rsa4096, ecdsa-p256 or ecdsa-p384")
	tf.register(cmd)
	_ = cmd.MarkFlagRequired("token")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// signingInfoURL accepts the URL appctl token prints, or a bare token with the
// connector's base URL.
func signingInfoURL(token, connectorURL string) (string, error) {
	if strings.HasPrefix(token, "http://") || strings.HasPrefix(token, "https://") {
		u, err := url.Parse(token)
		if err != nil || u.Query().Get("token") == "" {
			return "", errors.New("--token URL has no token query parameter")
		}
		return token, nil
	}
	if connectorURL == "" {
		return "", fmt.Errorf("--token is a bare token: pass --connector-url (or %s), or the URL appctl token prints", envConnectorURL)
	}
	return strings.TrimRight(connectorURL, "/") + schema.PathSigningInfo + "?token=" + url.QueryEscape(token), nil
}

func newRenewCmd(g *globals) *cobra.Command {
	var dir, keyType string
	cmd := &cobra.Command{
		Use:   "renew --dir DIR",
		Short: "Renew the client certificate stored in DIR (written by appctl connect)",
		Long: "renew authenticates with the current certificate, requests a new one for the same\n" +
			"subject with a fresh key, and replaces the files in DIR: all are written and synced\n" +
			"first, so a failure leaves the old key and certificate in place. The old certificate stays\n" +
			"valid until it expires or is revoked (appctl revoke --dir with a copy of it).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			creds, info, err := connclient.ReadFiles(dir)
			if err != nil {
				return err
			}
			hc, err := creds.HTTPClient()
			if err != nil {
				return err
			}
			mi, err := connclient.ManagementInfo(cmd.Context(), hc, info.ManagementInfoURL)
			if err != nil {
				return fmt.Errorf("get management info: %w", err)
			}
			renewed, err := creds.Renew(cmd.Context(), hc, mi.URLs.RenewCertURL, mi.Certificate.Subject, keyType)
			if err != nil {
				return err
			}
			info.RenewCertURL, info.RevokeCertURL, info.EventsURL = mi.URLs.RenewCertURL, mi.URLs.RevokeCertURL, mi.URLs.EventsURL
			if err := connclient.WriteFiles(dir, renewed, info); err != nil {
				return err
			}
			cert, err := renewed.TLSCertificate()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.Out(), "renewed certificate of %s in %s, valid until %s\n", info.Application, dir, cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory written by appctl connect (required)")
	cmd.Flags().StringVar(&keyType, "key-type", connclient.KeyRSA2048, "key to generate: rsa2048, rsa4096, ecdsa-p256 or ecdsa-p384")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func newRevokeCmd(g *globals) *cobra.Command {
	var dir, hash string
	cmd := &cobra.Command{
		Use:   "revoke (--dir DIR | --hash SHA256)",
		Short: "Revoke a client certificate",
		Long: "revoke --dir revokes the certificate stored in DIR, authenticated by itself (what\n" +
			"an external system does). revoke --hash revokes any certificate by its SHA-256\n" +
			"fingerprint through the management API (admin token). Either takes effect for the\n" +
			"very next request.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case (dir == "") == (hash == ""):
				return errors.New("pass exactly one of --dir and --hash")
			case hash != "":
				m, err := g.management()
				if err != nil {
					return err
				}
				if err := m.RevokeHash(cmd.Context(), hash); err != nil {
					return fmt.Errorf("revoke %s: %w", hash, err)
				}
				fmt.Fprintf(g.Out(), "revoked certificate %s\n", hash)
				return nil
			}
			creds, info, err := connclient.ReadFiles(dir)
			if err != nil {
				return err
			}
			hc, err := creds.HTTPClient()
			if err != nil {
				return err
			}
			if info.RevokeCertURL == "" {
				return fmt.Errorf("%s in %s has no revokeCertUrl", connclient.FileInfo, dir)
			}
			if err := connclient.Revoke(cmd.Context(), hc, info.RevokeCertURL); err != nil {
				return err
			}
			fmt.Fprintf(g.Out(), "revoked the certificate of %s in %s\n", info.Application, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory written by appctl connect")
	cmd.Flags().StringVar(&hash, "hash", "", "SHA-256 fingerprint of the certificate (hex)")
	return cmd
}

func newEventsCmd(g *globals) *cobra.Command {
	var (
		app    string
		after  uint64
		limit  int
		output string
	)
	cmd := &cobra.Command{
		Use:     "events",
		Short:   "List events in the embedded event log (when no --eventing-url is set)",
		Example: "  appctl events\n  appctl events --app orders-app --after 120 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "" && output != "json" {
				return fmt.Errorf("--output must be json, got %q", output)
			}
			m, err := g.management()
			if err != nil {
				return err
			}
			list, err := m.Events(cmd.Context(), ports.EventQuery{Application: app, After: after, Limit: limit})
			if err != nil {
				return fmt.Errorf("list events: %w", err)
			}
			if output == "json" {
				enc := json.NewEncoder(g.Out())
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(g.Out(), 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tRECEIVED\tAPPLICATION\tTYPE\tID")
			for _, r := range list.Events {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Seq, r.ReceivedAt.UTC().Format(time.RFC3339), r.Application, r.Event.Type, r.Event.ID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&app, "app", "", "only events of this Application")
	cmd.Flags().Uint64Var(&after, "after", 0, "only events with a sequence number above this")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many events (1-1000)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json (default: a table)")
	return cmd
}
