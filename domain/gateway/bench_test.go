package gateway

import (
	"testing"

	"github.com/appconnector/appconnector/domain/credential"
)

func BenchmarkParsePath(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePath("/my-app/orders-api/v1/orders/4711/items", Standalone); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTargetPath(b *testing.B) {
	tg, err := ParseTarget("http://127.0.0.1:8080/api")
	if err != nil {
		b.Fatal(err)
	}
	for _, encode := range []bool{true, false} {
		name := "encode=false"
		if encode {
			name = "encode=true"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tg.Path("/v1/orders/4711/items", encode); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMergeQuery(b *testing.B) {
	p := CompileParams(credential.RequestParameters{QueryParameters: map[string][]string{"sap-client": {"100"}}})
	b.Run("no params", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = MergeQuery("", "$top=10&$skip=5", nil)
		}
	})
	b.Run("params", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = MergeQuery("", "$top=10&$skip=5", p)
		}
	})
}
