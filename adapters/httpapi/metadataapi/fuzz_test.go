package metadataapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/appconnector/appconnector/adapters/memory"
	"github.com/appconnector/appconnector/app/metadata"
	"github.com/appconnector/appconnector/domain/application"
)

// FuzzDecodeServiceDetails feeds arbitrary bodies to the decoder and validator. It must
// never panic; a refusal must be one of the two client errors; and every accepted
// definition without a generated certificate (too slow to fuzz) must register into an
// Application that passes validation.
//
//	go test -run='^$' -fuzz=FuzzDecodeServiceDetails -fuzztime=60s ./adapters/httpapi/metadataapi/
func FuzzDecodeServiceDetails(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"provider":`,
		`{"provider":"p","name":"n","description":"d","events":{"spec":{}}}`,
		`{"provider":"p","name":"n","description":"d","api":{"targetUrl":"https://x.example.com","spec":null}}`,
		`{"provider":"p","name":"--","description":"d","api":{"targetUrl":"http://h","headers":{"":["v"]}}}`,
		`{"provider":"p","name":"N","description":"d","api":{"targetUrl":"https://h","credentials":{"oauth":{"url":"https://a","clientId":"c","clientSecret":"s","requestParameters":{"headers":{"X":["1"]}},"csrfInfo":{"tokenEndpointURL":"https://c"}}},"requestParameters":{"queryParameters":{"q":["1","2"]}}}}`,
		`{"provider":"p","name":"N","description":"d","api":{"targetUrl":"https://h","credentials":{"basic":{"username":"u","password":"********"},"certificateGen":{"commonName":"c"}}}}`,
		`{"provider":"p","name":"N","description":"d","api":{"targetUrl":"https://u:p@h","specificationUrl":"ftp://x","spec":[1]},"events":{"spec":"s"}}`,
		`{"provider":"p","name":"N","description":"d","api":{"targetUrl":"https://h","specificationCredentials":{"basic":{"username":"u","password":"p"}},"specificationRequestParameters":{"headers":{"A":["b"]}}},"documentation":{"displayName":"x","description":"y","type":"md","docs":[{"title":"t","type":"md","source":"s"}]}}`,
		`{"labels":{"connected-app":1}}`, `{"api":{"targetUrl":["x"]}}`, "{\"provider\":\"p\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, body []byte) {
		def, err := decodeServiceDetails(body)
		if err != nil {
			var de *decodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !strings.HasPrefix(de.msg, "Failed to unmarshal request body, ") && !strings.HasPrefix(de.msg, "Failed to validate request body, ") {
				t.Fatalf("unexpected message %q", de.msg)
			}
			return
		}
		if err := def.Validate(); err != nil {
			t.Fatalf("accepted definition does not validate: %v", err)
		}
		if def.API != nil && def.API.Credentials != nil && def.API.Credentials.CertificateGen != nil {
			return
		}
		ctx := context.Background()
		apps, secrets := memory.NewApplicationRepository(), memory.NewSecretStore()
		if _, _, err := apps.Put(ctx, application.Application{Name: "fuzz-app"}); err != nil {
			t.Fatal(err)
		}
		svc := metadata.NewService(apps, secrets, metadata.Config{}, logger)
		id, err := svc.RegisterService(ctx, "fuzz-app", def)
		if err != nil {
			t.Fatalf("accepted definition failed to register: %v", err)
		}
		app, err := apps.Get(ctx, "fuzz-app")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Validate(); err != nil {
			t.Fatalf("registered Application is invalid: %v", err)
		}
		got, err := svc.GetService(ctx, "fuzz-app", id)
		if err != nil {
			t.Fatalf("registered service cannot be read: %v", err)
		}
		// What GET returns must be accepted back by PUT.
		raw, err := json.Marshal(fromDefinition(got))
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeServiceDetails(raw)
		if err != nil {
			t.Fatalf("GET output %s is refused by PUT: %v", raw, err)
		}
		if _, err := svc.UpdateService(ctx, "fuzz-app", id, back); err != nil {
			t.Fatalf("round trip update failed: %v", err)
		}
	})
}
