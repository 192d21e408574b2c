package compass

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/appconnector/appconnector/domain/application"
	dc "github.com/appconnector/appconnector/domain/compass"
	"github.com/appconnector/appconnector/domain/credential"
	"github.com/appconnector/appconnector/ports"
)

// sync is the synchronisation with the Director (compass.md 1.7), recorded in c: fetch
// the runtime's labels and Applications, apply the plan Application by Application,
// report the runtime labels.
func (a *Agent) sync(ctx context.Context, r *round, c *dc.Connection, creds dc.Credentials) error {
	fail := func(p dc.Phase, err error) error {
		c.SetFailed(r.now, p, err)
		return err
	}
	if err := a.require(r, dc.ConfigKeyRuntimeID); err != nil {
		return fail(dc.PhaseFetch, err)
	}
	if c.Spec.ManagementInfo.DirectorURL == "" {
		return fail(dc.PhaseFetch, errors.New("spec.managementInfo.directorUrl is empty"))
	}
	ep := ports.DirectorEndpoint{
		URL: c.Spec.ManagementInfo.DirectorURL, Tenant: r.runtime.Tenant, Credentials: creds, RequestID: r.requestID,
	}
	id := r.runtime.RuntimeID
	labels, err := a.deps.Director.RuntimeLabels(ctx, ep, id)
	if err != nil {
		return fail(dc.PhaseFetch, err)
	}
	assigned, err := a.deps.Director.ApplicationsForRuntime(ctx, ep, id)
	if err != nil {
		return fail(dc.PhaseFetch, err)
	}
	existing, err := a.deps.Applications.List(ctx)
	if err != nil {
		return fail(dc.PhaseApply, fmt.Errorf("list the Applications: %w", err))
	}

	plan := dc.PlanSync(existing, assigned, labels, dc.MappingOptions{
		GatewayBaseURL: a.cfg.GatewayBaseURL, SkipVerify: a.cfg.SkipAppsTLSVerify,
	})
	// An Application that fails the same way round after round is logged at WARN once,
	// then at DEBUG: the status shows it all along, and a log line every period for
	// weeks buries everything else.
	var previous map[string]string
	if ss := c.Status.SynchronizationStatus; ss != nil {
		previous = ss.FailedApplications
	}
	failed := map[string]string{}
	report := func(msg, name, errText string) {
		failed[name] = errText
		level := slog.LevelWarn
		if previous[name] == errText {
			level = slog.LevelDebug
		}
		r.log.Log(ctx, level, msg, "application", name, "error", errText)
	}
	for _, name := range slices.Sorted(maps.Keys(plan.Failed)) {
		report("Application not synchronised", name, plan.Failed[name].Error())
	}
	// A Secret an Application still refers to is never deleted, whatever an old
	// version of another Application referred to.
	inUse := map[string]bool{}
	for _, d := range plan.Apply {
		for _, s := range d.Secrets {
			inUse[s.Name] = true
		}
		for _, n := range d.Application.SecretNames() {
			inUse[n] = true
		}
	}
	synced := 0
	for _, d := range plan.Apply {
		if err := a.apply(ctx, r, d, inUse); err != nil {
			report("Application not synchronised", d.Application.Name, err.Error())
			continue
		}
		synced++
	}
	for _, app := range plan.Delete {
		if err := a.remove(ctx, r, app, inUse); err != nil {
			report("Application not removed", app.Name, err.Error())
		}
	}

	if err := a.reportLabels(ctx, r, ep, labels); err != nil {
		return fail(dc.PhaseLabels, err)
	}
	c.SetSynchronized(r.now, synced, failed)
	r.log.Info("synchronised with the Director", "assigned", len(assigned), "synchronised", synced,
		"deleted", len(plan.Delete), "failed", len(failed))
	return nil
}

// apply writes one desired Application: its Secrets first (so the gateway never sees
// an entry whose credentials are not there), then the Application when new or
// changed, then removes the Secrets its previous version used and this one does not.
func (a *Agent) apply(ctx context.Context, r *round, d dc.Desired, inUse map[string]bool) error {
	name := d.Application.Name
	var errs []error
	for _, s := range d.Secrets {
		if err := a.ensureSecret(ctx, r, s); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// The Application keeps its previous state rather than refer to Secrets that
		// could not be written; the next round tries again.
		return errors.Join(errs...)
	}
	switch {
	case d.Existing == nil:
		app := d.Application
		app.ResourceVersion = ""
		if _, _, err := a.deps.Applications.Put(ctx, app); err != nil {
			return fmt.Errorf("create the Application: %w", err)
		}
		r.log.Info("Application created", "application", name)
	case dc.NeedsUpdate(*d.Existing, d.Application):
		desired := d.Application
		_, err := a.deps.Applications.Update(ctx, name, func(app *application.Application) error {
			if app.Spec.CompassMetadata == nil {
				return fmt.Errorf("the Application %q is no longer managed by Compass (no spec.compassMetadata); left untouched", name)
			}
			own := desired.DeepCopy()
			app.Labels = own.Labels
			app.Spec.Description = own.Spec.Description
			app.Spec.Labels = own.Spec.Labels
			app.Spec.Services = own.Spec.Services
			app.Spec.CompassMetadata = own.Spec.CompassMetadata
			app.Spec.SkipVerify = own.Spec.SkipVerify
			return nil
		})
		if err != nil {
			return fmt.Errorf("update the Application: %w", err)
		}
		r.log.Info("Application updated", "application", name)
	default:
		r.log.Debug("Application unchanged", "application", name)
	}
	if d.Existing != nil {
		for _, n := range d.Existing.SecretNames() {
			if !inUse[n] {
				if err := a.deleteSecret(ctx, r, n, name); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// remove deletes an Application the Director no longer assigns, then its Secrets.
func (a *Agent) remove(ctx context.Context, r *round, app application.Application, inUse map[string]bool) error {
	if err := a.deps.Applications.Delete(ctx, app.Name); err != nil && !errors.Is(err, application.ErrNotFound) {
		return fmt.Errorf("delete the Application: %w", err)
	}
	r.log.Info("Application deleted", "application", app.Name)
	var errs []error
	for _, n := range app.SecretNames() {
		if !inUse[n] {
			if err := a.deleteSecret(ctx, r, n, app.Name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ensureSecret writes s unless the stored Secret already has its data and labels.
func (a *Agent) ensureSecret(ctx context.Context, r *round, s credential.Secret) error {
	cur, err := a.deps.Secrets.Get(ctx, s.Name)
	switch {
	case errors.Is(err, credential.ErrNotFound):
		s.ResourceVersion = ""
	case err != nil:
		return fmt.Errorf("read Secret %q: %w", s.Name, err)
	case sameSecret(cur, s):
		return nil
	default:
		s.ResourceVersion = cur.ResourceVersion
	}
	if _, _, err := a.deps.Secrets.Put(ctx, s); err != nil {
		return fmt.Errorf("write Secret %q: %w", s.Name, err)
	}
	r.log.Info("Secret written", "secret", s.Name, "keys", s.Keys())
	return nil
}

func sameSecret(a, b credential.Secret) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.EqualFunc(a.Data, b.Data, bytes.Equal)
}

func (a *Agent) deleteSecret(ctx context.Context, r *round, name, app string) error {
	err := a.deps.Secrets.Delete(ctx, name)
	switch {
	case errors.Is(err, credential.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("delete Secret %q: %w", name, err)
	}
	r.log.Info("Secret deleted", "secret", name, "application", app)
	return nil
}

// reportLabels sets the runtime labels whose value is missing or different
// (compass.md 1.7); an empty configured value is not reported.
func (a *Agent) reportLabels(ctx context.Context, r *round, ep ports.DirectorEndpoint, current map[string]any) error {
	for _, l := range []struct{ key, value string }{
		{LabelEventServiceURL, a.cfg.EventsURL},
		{LabelConsoleURL, a.cfg.ConsoleURL},
	} {
		if l.value == "" {
			continue
		}
		if v, ok := current[l.key].(string); ok && v == l.value {
			continue
		}
		if err := a.deps.Director.SetRuntimeLabel(ctx, ep, r.runtime.RuntimeID, l.key, l.value); err != nil {
			return fmt.Errorf("label %s: %w", l.key, err)
		}
		r.log.Info("runtime label set", "label", l.key, "value", l.value)
	}
	return nil
}
