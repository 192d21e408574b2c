package serveflags

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"
)

// Compass are the Runtime Agent's settings, shared by runtime-agent and
// appconnector --compass. The defaults are Kyma's code defaults (compass.md 1.1).
type Compass struct {
	CAFile           string
	SkipTLSVerify    bool
	SkipAppsVerify   bool
	SyncPeriod       time.Duration
	MinSyncTime      time.Duration
	RenewalThreshold float64
	EventsURL        string
	ConsoleURL       string
	ConfigSecret     string
	CertSecret       string
	CASecret         string
	LeaseName        string
	Timeout          time.Duration
	// Identity names this replica in the Lease and in the User-Agent of its calls to
	// Compass; set by the binary (components.AgentIdentity), not a flag.
	Identity string
}

// Register defines the agent's flags on fs.
func (c *Compass) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.CAFile, "compass-ca", "", "PEM file of the CA to trust for Compass's TLS certificates (default: the system's roots)")
	fs.BoolVar(&c.SkipTLSVerify, "compass-skip-tls-verify", false, "do not verify Compass's TLS certificates (Kyma's APP_SKIP_COMPASS_TLS_VERIFY; testing only)")
	fs.BoolVar(&c.SkipAppsVerify, "compass-skip-apps-tls-verify", false, "write skipVerify: true into every Application synced from Compass")
	fs.DurationVar(&c.SyncPeriod, "compass-sync-period", 20*time.Second, "a round of connection maintenance and Director sync at least this often")
	fs.DurationVar(&c.MinSyncTime, "compass-min-sync-time", 10*time.Second, "the least time between two calls to Compass (resyncNow bypasses it once; 0: no limit)")
	fs.Float64Var(&c.RenewalThreshold, "compass-renewal-threshold", 0.3, "renew the runtime certificate when less than this fraction of its validity is left")
	fs.StringVar(&c.EventsURL, "runtime-events-url", "", "reported to the Director as the runtime label runtime_eventServiceUrl (not reported when empty)")
	fs.StringVar(&c.ConsoleURL, "runtime-console-url", "", "reported to the Director as the runtime label runtime_consoleUrl (not reported when empty)")
	fs.StringVar(&c.ConfigSecret, "compass-config-secret", "compass-agent-configuration", "Secret with CONNECTOR_URL, TOKEN, RUNTIME_ID and TENANT")
	fs.StringVar(&c.CertSecret, "compass-certificate-secret", "cluster-client-certificates", "Secret the runtime certificate is kept in (keys crt, key, crtChain)")
	fs.StringVar(&c.CASecret, "compass-ca-secret", "ca-certificates", "Secret the Compass CA is kept in (key cacert)")
	fs.StringVar(&c.LeaseName, "compass-lease", "appconnector-runtime-agent", "Lease that elects the one replica that syncs (--store kubernetes)")
	c.Identity = agentIdentity()
	fs.DurationVar(&c.Timeout, "compass-timeout", 30*time.Second, "how long one call to the Connector or the Director may take")
}

// Validate reports every bad Compass value, each naming its flag.
func (c Compass) Validate() []error {
	var errs []error
	if c.SyncPeriod <= 0 {
		errs = append(errs, errors.New("--compass-sync-period must be positive"))
	}
	if c.MinSyncTime < 0 {
		errs = append(errs, errors.New("--compass-min-sync-time must not be negative"))
	}
	if c.RenewalThreshold <= 0 || c.RenewalThreshold >= 1 {
		errs = append(errs, fmt.Errorf("--compass-renewal-threshold must be between 0 and 1 (exclusive), got %v", c.RenewalThreshold))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("--compass-timeout must be positive"))
	}
	for name, v := range map[string]string{"--runtime-events-url": c.EventsURL, "--runtime-console-url": c.ConsoleURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute URL, got %q", name, v))
		}
	}
	for name, v := range map[string]string{"--compass-config-secret": c.ConfigSecret, "--compass-certificate-secret": c.CertSecret,
		"--compass-ca-secret": c.CASecret, "--compass-lease": c.LeaseName} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty", name))
		}
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("--compass-ca: %w", err))
		}
	}
	return errs
}

// CheckBaseURL reports a base URL that is not absolute http(s), naming flag: it is
// written into every synced Application's centralGatewayUrl.
func CheckBaseURL(flag, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http(s) URL, got %q", flag, v)
	}
	return nil
}

// agentIdentity is the Pod's name (the hostname) with a random suffix, so a restarted
// Pod with the same name is not taken for the old holder.
func agentIdentity() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
