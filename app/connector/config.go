package connector

import (
	"fmt"
	"time"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/pairing"
)

// Config holds the connector's policy. The zero value of every duration means its
// default; Subject must be set (certificate.DefaultSubject is Kyma's example).
type Config struct {
	// Subject is the base subject of client certificates: O, OU, L, ST, C. CN is set to
	// the Application name.
	Subject certificate.Subject
	// CertificateValidity of issued client certificates; default 90 days.
	CertificateValidity time.Duration
	// TokenTTL is the lifetime of one-time tokens; default 5 minutes.
	TokenTTL time.Duration
	// EventTypePrefix starts the CloudEvent type of converted legacy events, for
	// example "sap.kyma.custom"; empty means no prefix.
	EventTypePrefix string
	// EventSource is the CloudEvent source of converted legacy events; empty means the
	// Application name.
	EventSource string
	// PurgeInterval is how often Run purges expired tokens and revocations; default 1 minute.
	PurgeInterval time.Duration
}

// Validate checks the subject and the durations.
func (c Config) Validate() error {
	if err := c.Subject.ValidateBase(); err != nil {
		return fmt.Errorf("connector config: %w", err)
	}
	if c.CertificateValidity < 0 || c.TokenTTL < 0 || c.PurgeInterval < 0 {
		return fmt.Errorf("connector config: durations must not be negative")
	}
	if c.CertificateValidity != 0 && c.CertificateValidity < time.Hour {
		return fmt.Errorf("connector config: certificate validity %s is shorter than one hour", c.CertificateValidity)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.CertificateValidity == 0 {
		c.CertificateValidity = certificate.DefaultValidity
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = pairing.DefaultTTL
	}
	if c.PurgeInterval == 0 {
		c.PurgeInterval = time.Minute
	}
	return c
}
