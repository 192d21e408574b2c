package compass

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/appconnector/appconnector/domain/application"
)

// Plan is what one synchronisation round does to the Applications.
type Plan struct {
	// Apply holds every assigned Director Application that could be mapped, sorted by
	// name: a create when Existing is nil, otherwise an update (see Desired).
	Apply []Desired
	// Delete holds the Compass-managed Applications (spec.compassMetadata set) whose
	// name is no longer among the assigned ones, sorted by name.
	Delete []application.Application
	// Failed holds, by Application name, why an assigned Application is neither
	// applied nor deleted this round; a stored Application of that name is left as it
	// is. Never nil.
	Failed map[string]error
}

// PlanSync decides one round (compass.md 1.7 Apply, 1.9): the assigned Director
// Applications are named (normalised unless ShouldNormalize(runtimeLabels) says they
// arrive normalised), matched with the existing Applications by name, and mapped with
// ToApplication. Applications without spec.compassMetadata were not created by the agent
// and are never touched. Unlike Kyma, which failed the whole round, a problem with one
// Application only fails that one, in Failed:
//   - several Director Applications with the same name (after normalisation): all of
//     them, one entry (ErrConflict);
//   - a name that is not a valid Kubernetes name (ErrInvalid);
//   - an existing Application of that name not managed by Compass (ErrConflict);
//   - a mapping error of ToApplication (ErrInvalid).
func PlanSync(existing []application.Application, assigned []DirectorApplication, runtimeLabels map[string]any, opts MappingOptions) Plan {
	plan := Plan{Failed: map[string]error{}}
	normalize := ShouldNormalize(runtimeLabels)

	byName := map[string][]DirectorApplication{}
	for _, app := range assigned {
		name := app.Name
		if normalize {
			name = NormalizeApplicationName(name)
		}
		byName[name] = append(byName[name], app)
	}
	stored := map[string]application.Application{}
	for _, a := range existing {
		stored[a.Name] = a
	}

	for _, name := range slices.Sorted(maps.Keys(byName)) {
		apps := byName[name]
		if len(apps) > 1 {
			ids := make([]string, len(apps))
			for i, a := range apps {
				ids[i] = a.ID
			}
			plan.Failed[name] = fmt.Errorf("%w: the Compass application name %q is duplicated: Director Applications %s all have it; rename all but one in Compass",
				ErrConflict, name, strings.Join(ids, ", "))
			continue
		}
		app := apps[0]
		if reason := application.CheckName(name); reason != "" {
			plan.Failed[name] = fmt.Errorf("%w: Director Application %s: the name %s", ErrInvalid, app.ID, reason)
			continue
		}
		cur, found := stored[name]
		if found && cur.Spec.CompassMetadata == nil {
			plan.Failed[name] = fmt.Errorf("%w: Director Application %s: an Application named %q that Compass does not manage already exists; it is left untouched",
				ErrConflict, app.ID, name)
			continue
		}
		want, err := ToApplication(app, name, opts)
		if err != nil {
			plan.Failed[name] = err
			continue
		}
		if found {
			want.Application = merge(cur, want.Application)
			if err := want.Application.Validate(); err != nil {
				plan.Failed[name] = fmt.Errorf("%w: Director Application %s: the updated Application would be invalid: %w", ErrInvalid, app.ID, err)
				continue
			}
			cp := cur.DeepCopy()
			want.Existing = &cp
		}
		plan.Apply = append(plan.Apply, want)
	}

	for _, a := range existing {
		if a.Spec.CompassMetadata == nil {
			continue
		}
		if _, assigned := byName[a.Name]; !assigned {
			plan.Delete = append(plan.Delete, a.DeepCopy())
		}
	}
	slices.SortFunc(plan.Delete, func(a, b application.Application) int { return strings.Compare(a.Name, b.Name) })
	return plan
}

// merge returns cur with what the agent owns taken from want: Kyma's update overwrites
// exactly these fields and keeps the rest of the stored object.
func merge(cur, want application.Application) application.Application {
	out := cur.DeepCopy()
	w := want.DeepCopy()
	out.Labels = w.Labels
	out.Spec.Description = w.Spec.Description
	out.Spec.Labels = w.Spec.Labels
	out.Spec.Services = w.Spec.Services
	out.Spec.CompassMetadata = w.Spec.CompassMetadata
	out.Spec.SkipVerify = w.Spec.SkipVerify
	return out
}

// NeedsUpdate reports whether the stored Application differs from the desired one in
// what the agent owns: metadata.labels, spec.description, spec.labels, spec.services,
// spec.compassMetadata and spec.skipVerify. Empty and absent lists and maps are equal,
// because a store may return either for what was written (JSON null or []).
func NeedsUpdate(existing, desired application.Application) bool {
	e, d := owned(existing), owned(desired)
	return !reflect.DeepEqual(e, d)
}

type ownedFields struct {
	Labels          map[string]string
	Description     string
	SpecLabels      map[string]string
	Services        []application.Service
	CompassMetadata *application.CompassMetadata
	SkipVerify      bool
}

func owned(a application.Application) ownedFields {
	a = a.DeepCopy()
	o := ownedFields{
		Labels:      emptyToNil(a.Labels),
		Description: a.Spec.Description,
		SpecLabels:  emptyToNil(a.Spec.Labels),
		SkipVerify:  a.Spec.SkipVerify,
	}
	if cm := a.Spec.CompassMetadata; cm != nil {
		if len(cm.Authentication.ClientIDs) == 0 {
			cm.Authentication.ClientIDs = nil
		}
		o.CompassMetadata = cm
	}
	for _, s := range a.Spec.Services {
		s.Labels = emptyToNil(s.Labels)
		if len(s.Tags) == 0 {
			s.Tags = nil
		}
		if len(s.Entries) == 0 {
			s.Entries = nil
		}
		o.Services = append(o.Services, s)
	}
	return o
}

func emptyToNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
