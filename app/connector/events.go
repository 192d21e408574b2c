package connector

import (
	"context"
	"errors"
	"fmt"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

// Sender is an Application's event sender that Authorize accepted: what publishing
// needs of the Application, read once. Only AuthorizeSender makes one, so a Sender is
// proof of authorisation; the zero Sender is refused.
type Sender struct {
	info appInfo
}

// Application is the name of the Application the sender may send events for.
func (s Sender) Application() string { return s.info.name }

// Authorize decides whether any of the presented identities may send events for app
// (the validator's check). Like Kyma, every identity is a candidate (a proxy may chain
// several XFCC elements); unlike Kyma, an identity also needs a fingerprint that is not
// revoked or expired. Errors wrap application.ErrNotFound, certificate.ErrRevoked,
// certificate.ErrExpired, ErrForbidden or ErrNoCertificate.
func (s *Service) Authorize(ctx context.Context, app string, ids []certificate.Identity) error {
	_, err := s.AuthorizeSender(ctx, app, ids)
	return err
}

// AuthorizeSender is Authorize returning the Sender to publish with. An API calls it
// before it reads the event body, so an unauthorised request is answered without
// waiting for its body, and the Application is read once per event. The decision
// holds for the request it was made for: a certificate revoked while its event's body
// is still arriving is refused from the next request on.
func (s *Service) AuthorizeSender(ctx context.Context, app string, ids []certificate.Identity) (Sender, error) {
	if len(ids) == 0 {
		return Sender{}, ErrNoCertificate
	}
	info, err := s.appInfo(ctx, app)
	if err != nil {
		return Sender{}, fmt.Errorf("authorize %s: %w", app, err)
	}
	var revokedErr error
	for _, id := range ids {
		if !id.MayActFor(info.name, info.clientIDs) || id.Fingerprint.IsZero() {
			continue
		}
		err := s.CheckCertificate(ctx, id)
		if err == nil {
			return Sender{info: info}, nil
		}
		if !errors.Is(err, certificate.ErrRevoked) && !errors.Is(err, certificate.ErrExpired) {
			return Sender{}, err
		}
		revokedErr = err
	}
	if revokedErr != nil {
		return Sender{}, revokedErr
	}
	return Sender{}, fmt.Errorf("certificate %q may not send events for %s: %w", ids[0].CommonName, app, ErrForbidden)
}

// errNoSender is a programming error: publishing without AuthorizeSender's Sender.
var errNoSender = fmt.Errorf("publish without an authorised sender: %w", ErrForbidden)

// PublishLegacy decodes a legacy v1 event body of an authorised sender, converts it to
// a CloudEvent and delivers it; it returns the event id. Errors: an *event.LegacyError
// for a bad body, an *event.DeliveryError when delivery failed.
func (s *Service) PublishLegacy(ctx context.Context, from Sender, body []byte) (string, error) {
	if from.info.name == "" {
		return "", errNoSender
	}
	le, err := event.DecodeLegacy(body)
	if err != nil {
		return "", err
	}
	ce := le.ToCloudEvent(event.LegacyOptions{
		Prefix:          s.cfg.EventTypePrefix,
		Source:          s.cfg.EventSource,
		Application:     from.info.name,
		ApplicationType: from.info.appType,
	}, newEventID)
	if err := ce.Validate(); err != nil {
		return "", err
	}
	if err := s.sink.Send(ctx, from.info.name, ce); err != nil {
		return "", err
	}
	return ce.ID, nil
}

// Publish delivers a CloudEvent of an authorised sender, received on /{app}/v2/events
// or /{app}/events. Errors: an *event.InvalidError, an *event.DeliveryError.
func (s *Service) Publish(ctx context.Context, from Sender, e event.CloudEvent) error {
	if from.info.name == "" {
		return errNoSender
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return s.sink.Send(ctx, from.info.name, e)
}

// Events reads the embedded event log, or returns ErrEventLogDisabled when events are
// forwarded instead.
func (s *Service) Events(ctx context.Context, q ports.EventQuery) ([]event.Record, error) {
	if s.eventLog == nil {
		return nil, ErrEventLogDisabled
	}
	return s.eventLog.List(ctx, q)
}
