package compass

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

func directorApp(id, name string) DirectorApplication {
	return DirectorApplication{
		ID:      id,
		Name:    name,
		AuthIDs: []string{id},
		Bundles: []Bundle{{
			ID:             "bundle-" + id,
			Name:           "API",
			APIDefinitions: []APIDefinition{{ID: "api-" + id, Name: "v1", TargetURL: "https://" + id + ".example.com"}},
			DefaultInstanceAuth: &Auth{
				Basic: &BasicCredential{Username: "u", Password: "p"},
			},
		}},
	}
}

// managed is what a previous round stored for the Director Application.
func managed(t *testing.T, app DirectorApplication, name string) application.Application {
	t.Helper()
	d, err := ToApplication(app, name, opts)
	require.NoError(t, err)
	a := d.Application
	a.UID = "uid-" + name
	a.ResourceVersion = "7"
	return a
}

func unmanaged(name string) application.Application {
	return application.Application{Name: name, Spec: application.Spec{Description: "by hand"}}
}

func names(apps []application.Application) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.Name
	}
	return out
}

func applyNames(ds []Desired) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Application.Name
	}
	return out
}

var normalized = map[string]any{"isNormalized": "true"}

func TestPlanSync(t *testing.T) {
	changed := directorApp("c", "changed")
	changed.Description = "new description"
	tests := []struct {
		name     string
		existing func(t *testing.T) []application.Application
		assigned []DirectorApplication
		labels   map[string]any
		creates  []string
		updates  []string
		deletes  []string
		failed   []string
	}{
		{
			name:     "empty",
			existing: func(*testing.T) []application.Application { return nil },
			labels:   normalized,
		},
		{
			name:     "create, sorted by name",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("z", "zeta"), directorApp("a", "alpha")},
			labels:   normalized,
			creates:  []string{"alpha", "zeta"},
		},
		{
			name: "update, create and delete",
			existing: func(t *testing.T) []application.Application {
				return []application.Application{
					managed(t, directorApp("c", "changed"), "changed"),
					managed(t, directorApp("g", "gone-2"), "gone-2"),
					managed(t, directorApp("g", "gone-1"), "gone-1"),
				}
			},
			assigned: []DirectorApplication{directorApp("n", "new"), changed},
			labels:   normalized,
			creates:  []string{"new"},
			updates:  []string{"changed"},
			deletes:  []string{"gone-1", "gone-2"},
		},
		{
			name: "Applications without compassMetadata are never deleted",
			existing: func(t *testing.T) []application.Application {
				return []application.Application{unmanaged("by-hand"), managed(t, directorApp("g", "gone"), "gone")}
			},
			labels:  normalized,
			deletes: []string{"gone"},
		},
		{
			name: "same-named Application without compassMetadata: Failed, untouched",
			existing: func(*testing.T) []application.Application {
				return []application.Application{unmanaged("orders")}
			},
			assigned: []DirectorApplication{directorApp("o", "orders"), directorApp("b", "billing")},
			labels:   normalized,
			creates:  []string{"billing"},
			failed:   []string{"orders"},
		},
		{
			name:     "names normalised without isNormalized=true",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("a", "---tEsT@ApPlIcAtIoN.!$")},
			labels:   nil,
			creates:  []string{"mp-test-application"},
		},
		{
			name:     "names normalised with isNormalized=false",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("a", "Orders")},
			labels:   map[string]any{"isNormalized": "false"},
			creates:  []string{"mp-orders"},
		},
		{
			name: "normalised name matches the stored one: update, the unnormalised one is deleted",
			existing: func(t *testing.T) []application.Application {
				return []application.Application{
					managed(t, directorApp("a", "mp-orders"), "mp-orders"),
					managed(t, directorApp("a", "orders"), "orders"),
				}
			},
			assigned: []DirectorApplication{directorApp("a", "Orders")},
			labels:   nil,
			updates:  []string{"mp-orders"},
			deletes:  []string{"orders"},
		},
		{
			name: "duplicates after normalisation fail only those; a stored one is neither updated nor deleted",
			existing: func(t *testing.T) []application.Application {
				return []application.Application{managed(t, directorApp("d1", "mp-dup"), "mp-dup")}
			},
			assigned: []DirectorApplication{directorApp("d1", "dup"), directorApp("d2", "DUP"), directorApp("d3", "d.u.p"), directorApp("ok", "fine")},
			labels:   nil,
			creates:  []string{"mp-d-u-p", "mp-fine"},
			failed:   []string{"mp-dup"},
		},
		{
			name:     "duplicates without normalisation",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("d1", "dup"), directorApp("d2", "dup"), directorApp("ok", "fine")},
			labels:   normalized,
			creates:  []string{"fine"},
			failed:   []string{"dup"},
		},
		{
			name:     "a name that is not a valid Kubernetes name fails alone",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("bad", "Bad_Name"), directorApp("ok", "fine")},
			labels:   normalized,
			creates:  []string{"fine"},
			failed:   []string{"Bad_Name"},
		},
		{
			name:     "a normalised name still too long fails alone",
			existing: func(*testing.T) []application.Application { return nil },
			assigned: []DirectorApplication{directorApp("long", strings.Repeat("x", 260)), directorApp("ok", "fine")},
			labels:   nil,
			creates:  []string{"mp-fine"},
			failed:   []string{"mp-" + strings.Repeat("x", 260)},
		},
		{
			name: "a mapping error fails alone and keeps the stored Application",
			existing: func(t *testing.T) []application.Application {
				return []application.Application{managed(t, directorApp("b", "broken"), "broken")}
			},
			assigned: func() []DirectorApplication {
				broken := directorApp("b", "broken")
				broken.Bundles[0].DefaultInstanceAuth.OAuth = &OAuthCredential{ClientID: "x", ClientSecret: "y", URL: "https://a.example.com"}
				return []DirectorApplication{broken, directorApp("ok", "fine")}
			}(),
			labels:  normalized,
			creates: []string{"fine"},
			failed:  []string{"broken"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existing := tt.existing(t)
			var before []application.Application
			for _, a := range existing {
				before = append(before, a.DeepCopy())
			}
			plan := PlanSync(existing, tt.assigned, tt.labels, opts)

			var creates, updates []string
			for _, d := range plan.Apply {
				require.NoError(t, d.Application.Validate())
				if d.Existing == nil {
					creates = append(creates, d.Application.Name)
				} else {
					updates = append(updates, d.Application.Name)
					assert.Equal(t, d.Existing.Name, d.Application.Name)
				}
			}
			assert.True(t, slices.IsSorted(applyNames(plan.Apply)), "Apply sorted: %v", applyNames(plan.Apply))
			assert.Equal(t, tt.creates, creates, "creates")
			assert.Equal(t, tt.updates, updates, "updates")
			assert.Equal(t, tt.deletes, nilIfEmpty(names(plan.Delete)), "deletes")
			require.NotNil(t, plan.Failed)
			assert.Equal(t, tt.failed, nilIfEmpty(slices.Sorted(maps.Keys(plan.Failed))), "failed")
			for _, d := range plan.Delete {
				assert.NotNil(t, d.Spec.CompassMetadata)
			}
			assert.Equal(t, before, existing, "PlanSync does not modify its input")
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestPlanSyncFailedErrors(t *testing.T) {
	plan := PlanSync(
		[]application.Application{unmanaged("by-hand")},
		[]DirectorApplication{directorApp("d1", "dup"), directorApp("d2", "dup"), directorApp("h", "by-hand"), directorApp("bad", "Bad_Name")},
		normalized, opts)
	require.Len(t, plan.Failed, 3)
	assert.ErrorIs(t, plan.Failed["dup"], ErrConflict)
	assert.Contains(t, plan.Failed["dup"].Error(), "d1, d2")
	assert.Contains(t, plan.Failed["dup"].Error(), "duplicated")
	assert.ErrorIs(t, plan.Failed["by-hand"], ErrConflict)
	assert.Contains(t, plan.Failed["by-hand"].Error(), "does not manage")
	assert.ErrorIs(t, plan.Failed["Bad_Name"], ErrInvalid)
	assert.Contains(t, plan.Failed["Bad_Name"].Error(), "lower case alphanumeric")
}

func TestPlanSyncUpdateKeepsWhatTheAgentDoesNotOwn(t *testing.T) {
	enc := false
	stored := managed(t, directorApp("a", "orders"), "orders")
	stored.Annotations = map[string]string{"note": "kept"}
	stored.Labels["team"] = "dropped" // Kyma overwrites metadata.labels
	stored.Spec.EncodeURL = &enc
	stored.Spec.AccessLabel = "orders-access"
	stored.Spec.Tenant = "t1"

	app := directorApp("a", "orders")
	app.Description = "new"
	app.AuthIDs = []string{"a", "b"}
	plan := PlanSync([]application.Application{stored}, []DirectorApplication{app}, normalized, MappingOptions{GatewayBaseURL: gatewayBase, SkipVerify: true})
	require.Empty(t, plan.Failed)
	require.Len(t, plan.Apply, 1)
	d := plan.Apply[0]
	require.NotNil(t, d.Existing)
	assert.Contains(t, d.Existing.Labels, "team", "Existing is the stored object")

	got := d.Application
	assert.Equal(t, "uid-orders", got.UID)
	assert.Equal(t, "7", got.ResourceVersion)
	assert.Equal(t, map[string]string{"note": "kept"}, got.Annotations)
	assert.Equal(t, &enc, got.Spec.EncodeURL)
	assert.Equal(t, "orders-access", got.Spec.AccessLabel)
	assert.Equal(t, "t1", got.Spec.Tenant)
	assert.Equal(t, map[string]string{LabelManagedBy: ManagedByRuntimeAgent}, got.Labels)
	assert.Equal(t, "new", got.Spec.Description)
	assert.True(t, got.Spec.SkipVerify)
	assert.Equal(t, []string{"a", "b"}, got.Spec.ClientIDs())
	assert.True(t, NeedsUpdate(*d.Existing, got))
}

func TestNeedsUpdate(t *testing.T) {
	base := func(t *testing.T) application.Application { return managed(t, directorApp("a", "orders"), "orders") }
	tests := []struct {
		name   string
		change func(*application.Application)
		want   bool
	}{
		{"identical", func(*application.Application) {}, false},
		{"resource version and annotations are not owned", func(a *application.Application) {
			a.ResourceVersion = "99"
			a.Annotations = map[string]string{"x": "y"}
			a.Spec.AccessLabel = "other"
		}, false},
		{"empty lists and maps equal absent ones", func(a *application.Application) {
			a.Spec.CompassMetadata.Authentication.ClientIDs = []string{"a"}
			a.Spec.Services[0].Tags = []string{}
			a.Spec.Services[0].Labels = map[string]string{}
		}, false},
		{"metadata label", func(a *application.Application) { a.Labels["x"] = "y" }, true},
		{"metadata labels removed", func(a *application.Application) { a.Labels = nil }, true},
		{"description", func(a *application.Application) { a.Spec.Description = "x" }, true},
		{"spec labels", func(a *application.Application) { a.Spec.Labels["connected-app"] = "x" }, true},
		{"skipVerify", func(a *application.Application) { a.Spec.SkipVerify = true }, true},
		{"compassMetadata removed", func(a *application.Application) { a.Spec.CompassMetadata = nil }, true},
		{"client ids", func(a *application.Application) { a.Spec.CompassMetadata.Authentication.ClientIDs = []string{"b"} }, true},
		{"application id", func(a *application.Application) { a.Spec.CompassMetadata.ApplicationID = "other" }, true},
		{"service removed", func(a *application.Application) { a.Spec.Services = nil }, true},
		{"target URL", func(a *application.Application) { a.Spec.Services[0].Entries[0].TargetURL = "https://x.example.com" }, true},
		{"credential type", func(a *application.Application) { a.Spec.Services[0].Entries[0].Credentials.Type = "OAuth" }, true},
		{"credentials removed", func(a *application.Application) { a.Spec.Services[0].Entries[0].Credentials = nil }, true},
		{"schema", func(a *application.Application) { s := "{}"; a.Spec.Services[0].AuthCreateParameterSchema = &s }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desired := base(t)
			stored := desired.DeepCopy()
			tt.change(&stored)
			assert.Equal(t, tt.want, NeedsUpdate(stored, desired))
			assert.Equal(t, tt.want, NeedsUpdate(desired, stored), "symmetric")
		})
	}
}

func TestNeedsUpdateEmptyEntries(t *testing.T) {
	a := application.Application{Name: "x", Spec: application.Spec{Services: []application.Service{{ID: "s", Name: "s", Entries: []application.Entry{}}}}}
	b := a.DeepCopy()
	b.Spec.Services[0].Entries = nil
	assert.False(t, NeedsUpdate(a, b))
}

func TestPlanSyncUnchangedApplicationNeedsNoUpdate(t *testing.T) {
	app := directorApp("a", "orders")
	stored := managed(t, app, "orders")
	plan := PlanSync([]application.Application{stored}, []DirectorApplication{app}, normalized, opts)
	require.Len(t, plan.Apply, 1)
	d := plan.Apply[0]
	assert.False(t, NeedsUpdate(*d.Existing, d.Application))
	assert.Len(t, d.Secrets, 1, "Secrets are upserted every round, whether the Application changed or not")
}
