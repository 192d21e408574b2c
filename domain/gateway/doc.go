// Package gateway holds the pure request-path logic of the Application Gateway: parsing
// the gateway URL into a route and the caller's sub-path, building the target URL
// (encodeUrl true and false), merging query strings and injecting request parameters
// (caller wins), rewriting Location headers of redirects, and merging CSRF cookies into
// the caller's Cookie header.
//
// Everything here works on strings and maps so it can be fuzzed and benchmarked without
// a network; the adapters/gateway package applies the results to net/http requests.
// Functions on the hot path avoid allocating when there is nothing to change.
package gateway
