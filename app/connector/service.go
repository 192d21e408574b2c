package connector

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/appconnector/appconnector/ports"
)

// Deps are the ports the Service uses. EventLog is optional: set it when Sink writes to
// that log, so Events can read it back. Now and Rand are optional too (tests).
type Deps struct {
	Applications ports.ApplicationRepository
	Tokens       ports.TokenStore
	Signer       ports.CertificateSigner
	Revocations  ports.RevocationList
	Sink         ports.EventSink
	EventLog     ports.EventLog
	Logger       *slog.Logger
	Now          func() time.Time
	Rand         io.Reader
}

// Service implements the connector and validator use cases.
type Service struct {
	cfg         Config
	apps        ports.ApplicationRepository
	tokens      ports.TokenStore
	signer      ports.CertificateSigner
	revocations ports.RevocationList
	sink        ports.EventSink
	eventLog    ports.EventLog
	logger      *slog.Logger
	now         func() time.Time
	rand        io.Reader
}

// New returns a Service. A nil required dependency is a programming error and panics;
// an invalid cfg is returned as an error.
func New(cfg Config, d Deps) (*Service, error) {
	switch {
	case d.Applications == nil, d.Tokens == nil, d.Signer == nil, d.Revocations == nil, d.Sink == nil, d.Logger == nil:
		panic("connector.New: nil dependency")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rand == nil {
		d.Rand = rand.Reader
	}
	return &Service{
		cfg:         cfg.withDefaults(),
		apps:        d.Applications,
		tokens:      d.Tokens,
		signer:      d.Signer,
		revocations: d.Revocations,
		sink:        d.Sink,
		eventLog:    d.EventLog,
		logger:      d.Logger,
		now:         d.Now,
		rand:        d.Rand,
	}, nil
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Run purges expired tokens and revocations every PurgeInterval, until ctx is done.
// Without Run the Service still works; expired entries are then only refused, not
// removed.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PurgeInterval)
	defer t.Stop()
	for {
		s.Purge(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Purge removes expired tokens and revocations once; failures are logged.
func (s *Service) Purge(ctx context.Context) {
	now := s.now()
	if n, err := s.tokens.Purge(ctx, now); err != nil {
		s.logger.Warn("purge tokens", "err", err)
	} else if n > 0 {
		s.logger.Debug("purged expired tokens", "count", n)
	}
	if n, err := s.revocations.Purge(ctx, now); err != nil {
		s.logger.Warn("purge revocations", "err", err)
	} else if n > 0 {
		s.logger.Debug("purged expired revocations", "count", n)
	}
}

func newEventID() string { return uuid.NewString() }
