package connector

import (
	"context"

	"github.com/appconnector/appconnector/domain/application"
	"github.com/appconnector/appconnector/domain/event"
)

// appInfo is what the event path needs of an Application.
type appInfo struct {
	name      string
	clientIDs []string
	appType   string
}

func infoOf(a application.Application) appInfo {
	return appInfo{
		name:      a.Name,
		clientIDs: append([]string(nil), a.Spec.ClientIDs()...),
		appType:   a.Labels[event.ApplicationTypeLabel],
	}
}

// appInfo reads the Application from the repository on every call. A watch-fed cache
// used to sit here, and it answered "not found" right after a write and kept
// authorising deleted Applications and removed client ids until the watch caught up.
// Every lookup on the event path is an authorisation decision, which must agree with
// the repository, so a cache could save nothing; the embedded adapters answer Get from
// memory or one read transaction.
func (s *Service) appInfo(ctx context.Context, name string) (appInfo, error) {
	a, err := s.apps.Get(ctx, name)
	if err != nil {
		return appInfo{}, err
	}
	return infoOf(a), nil
}
