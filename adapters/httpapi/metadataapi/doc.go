// Package metadataapi serves the legacy Kyma Application Registry REST API (compass
// reference section 4, OpenAPI document in api.yaml) on the management API:
//
//	POST   /{application}/v1/metadata/services              register a service -> 200 {"id": ...}
//	GET    /{application}/v1/metadata/services              list services      -> 200 [Service]
//	GET    /{application}/v1/metadata/services/{serviceId} read a service     -> 200 ServiceDetails
//	PUT    /{application}/v1/metadata/services/{serviceId}  update a service   -> 200 ServiceDetails
//	DELETE /{application}/v1/metadata/services/{serviceId}  delete a service   -> 204
//	GET    /{application}/v1/metadata/api.yaml              the OpenAPI document
//	*      /{application}/v1/metadata                       301 to api.yaml
//
// Handlers are thin: decode and validate the JSON body, call app/metadata, map the
// result. Errors are {"code": N, "error": "message"} with Kyma's messages and status
// codes; messages never contain a secret value, and credentials in URLs are masked.
// Authentication is the management API's business: the Handler is mounted behind it.
package metadataapi
