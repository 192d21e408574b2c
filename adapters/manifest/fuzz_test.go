package manifest

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/appconnector/appconnector/domain/credential"
)

// addSeeds adds every example and testdata document to the corpus committed under
// testdata/fuzz, so a plain `go test` run exercises real manifests too.
func addSeeds(f *testing.F) {
	f.Helper()
	for _, pattern := range []string{"testdata/*.yaml", "../../examples/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var me *Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &me) {
		t.Fatalf("error %T %v is not a *manifest.Error", err, err)
	}
}

// FuzzDecodeApplication: no input panics; every failure is an *Error; every accepted
// document survives encoding: decode(encode(x)) is a fixpoint in JSON and YAML alike.
func FuzzDecodeApplication(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := DecodeApplication(data, FormatAuto)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		_ = app.Validate()
		j1, err := EncodeApplication(app, FormatJSON)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := DecodeApplication(j1, FormatJSON)
		if err != nil {
			t.Fatalf("decode own json: %v\n%s", err, j1)
		}
		j2, _ := EncodeApplication(back, FormatJSON)
		if !bytes.Equal(j1, j2) {
			t.Fatalf("json round trip differs:\n%s\n%s", j1, j2)
		}
		y, err := EncodeApplication(back, FormatYAML)
		if err != nil {
			t.Fatalf("encode yaml: %v", err)
		}
		fromYAML, err := DecodeApplication(y, FormatYAML)
		if err != nil {
			t.Fatalf("decode own yaml: %v\n%s", err, y)
		}
		j3, _ := EncodeApplication(fromYAML, FormatJSON)
		if !bytes.Equal(j1, j3) {
			t.Fatalf("yaml round trip differs:\n%s\n%s", j1, j3)
		}
	})
}

// FuzzDecodeSecret: no panics; failures are *Error; an accepted Secret encodes and
// decodes back to the same key set and values.
func FuzzDecodeSecret(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSecret(data, FormatAuto)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		_ = s.Validate()
		for _, format := range []Format{FormatJSON, FormatYAML} {
			b, err := EncodeSecret(s, format)
			if err != nil {
				t.Fatalf("encode %s: %v", format, err)
			}
			back, err := DecodeSecret(b, format)
			if err != nil {
				t.Fatalf("decode own %s: %v\n%s", format, err, b)
			}
			if back.Name != s.Name || back.ResourceVersion != s.ResourceVersion ||
				!maps.Equal(back.Labels, s.Labels) || !maps.EqualFunc(back.Data, s.Data, bytes.Equal) {
				t.Fatalf("%s round trip differs: %v vs %v", format, back, s)
			}
			view, err := EncodeSecretView(s, format)
			if err != nil {
				t.Fatalf("encode view: %v", err)
			}
			assertNoValues(t, view, s, format)
		}
	})
}

// assertNoValues checks that the view does not depend on the values at all: it equals
// the view of the same Secret with every value replaced.
func assertNoValues(t *testing.T, view []byte, s credential.Secret, f Format) {
	t.Helper()
	blanked := s.DeepCopy()
	for k := range blanked.Data {
		blanked.Data[k] = []byte("x")
	}
	other, err := EncodeSecretView(blanked, f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(view, other) {
		t.Fatalf("view of %s depends on the values:\n%s", s.Name, view)
	}
}

// FuzzDecodeStream: no panics on any stream; failures are *Error with a document index
// inside the stream; every object is exactly one Application or Secret.
func FuzzDecodeStream(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			checkInvalid(t, err)
			if objs != nil {
				t.Fatal("objects returned with an error")
			}
			return
		}
		for _, o := range objs {
			if (o.Application == nil) == (o.Secret == nil) {
				t.Fatalf("object %+v is not exactly one kind", o)
			}
			if o.Document < 0 {
				t.Fatalf("negative document index %d", o.Document)
			}
		}
	})
}
