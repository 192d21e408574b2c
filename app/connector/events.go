package connector

import (
	"context"
	"errors"
	"fmt"

	"github.com/appconnector/appconnector/domain/certificate"
	"github.com/appconnector/appconnector/domain/event"
	"github.com/appconnector/appconnector/ports"
)

// Authorize decides whether any of the presented identities may send events for app
// (the validator's check). Like Kyma, every identity is a candidate (a proxy may chain
// several XFCC elements); unlike Kyma, an identity also needs a fingerprint that is not
// revoked or expired. Errors wrap application.ErrNotFound, certificate.ErrRevoked,
// certificate.ErrExpired, ErrForbidden or ErrNoCertificate.
func (s *Service) Authorize(ctx context.Context, app string, ids []certificate.Identity) error {
	_, err := s.authorize(ctx, app, ids)
	return err
}

func (s *Service) authorize(ctx context.Context, app string, ids []certificate.Identity) (appInfo, error) {
	if len(ids) == 0 {
		return appInfo{}, ErrNoCertificate
	}
	info, err := s.appInfo(ctx, app)
	if err != nil {
		return appInfo{}, fmt.Errorf("authorize %s: %w", app, err)
	}
	var revokedErr error
	for _, id := range ids {
		if !id.MayActFor(info.name, info.clientIDs) || id.Fingerprint.IsZero() {
			continue
		}
		err := s.CheckCertificate(ctx, id)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, certificate.ErrRevoked) && !errors.Is(err, certificate.ErrExpired) {
			return appInfo{}, err
		}
		revokedErr = err
	}
	if revokedErr != nil {
		return appInfo{}, revokedErr
	}
	return appInfo{}, fmt.Errorf("certificate %q may not send events for %s: %w", ids[0].CommonName, app, ErrForbidden)
}

// PublishLegacy authorises, decodes a legacy v1 event body, converts it to a CloudEvent
// and delivers it; it returns the event id. Errors: those of Authorize, an
// *event.LegacyError for a bad body, an *event.DeliveryError when delivery failed.
func (s *Service) PublishLegacy(ctx context.Context, app string, ids []certificate.Identity, body []byte) (string, error) {
	info, err := s.authorize(ctx, app, ids)
	if err != nil {
		return "", err
	}
	le, err := event.DecodeLegacy(body)
	if err != nil {
		return "", err
	}
	ce := le.ToCloudEvent(event.LegacyOptions{
		Prefix:          s.cfg.EventTypePrefix,
		Source:          s.cfg.EventSource,
		Application:     info.name,
		ApplicationType: info.appType,
	}, newEventID)
	if err := ce.Validate(); err != nil {
		return "", err
	}
	if err := s.sink.Send(ctx, info.name, ce); err != nil {
		return "", err
	}
	return ce.ID, nil
}

// Publish authorises and delivers a CloudEvent received on /{app}/v2/events or
// /{app}/events. Errors: those of Authorize, an *event.InvalidError, an
// *event.DeliveryError.
func (s *Service) Publish(ctx context.Context, app string, ids []certificate.Identity, e event.CloudEvent) error {
	info, err := s.authorize(ctx, app, ids)
	if err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	return s.sink.Send(ctx, info.name, e)
}

// Events reads the embedded event log, or returns ErrEventLogDisabled when events are
// forwarded instead.
func (s *Service) Events(ctx context.Context, q ports.EventQuery) ([]event.Record, error) {
	if s.eventLog == nil {
		return nil, ErrEventLogDisabled
	}
	return s.eventLog.List(ctx, q)
}
