// Package vault keeps Secrets in HashiCorp Vault's KV version 2 engine and logs in to
// Vault with a token, AppRole or Kubernetes auth, keeping the token renewed.
//
// # Layout
//
// Each Secret is one KV entry, <mount>/<prefix>/<name> (default secret/appconnector/secrets/<name>).
// Every key of the Secret is a field of the entry. A value that is valid UTF-8 (text,
// PEM certificates and keys, JSON) is stored as it is, so `vault kv get` and Vault Agent
// templates read it directly; any other value is stored in standard base64. One extra
// field, "appconnector/meta" (a '/' cannot occur in a Secret key), holds a JSON object
//
//	{"labels": {"app": "orders"}, "base64": ["keystore"]}
//
// with the labels and the keys whose values are base64. It is left out when both are
// empty, so an entry written with `vault kv put secret/appconnector/secrets/x
// username=u password=p` is a valid Secret. Fields that other tools wrote as numbers,
// booleans or objects read as their JSON text. Nothing but Secrets may live under the
// prefix; sub-folders are ignored.
//
// # Versions
//
// The ResourceVersion is "<kv version>-<creation time of that version in unix
// nanoseconds>". The KV version alone would repeat: Delete removes the metadata (every
// version), and a recreated entry starts at version 1 again. Put reads the entry's
// metadata and writes with check-and-set on the version it read: with a ResourceVersion
// that is not the current one the result is credential.ErrConflict; without one, a
// concurrent write elsewhere makes Put read again and retry. A version soft-deleted or
// destroyed outside appconnector (`vault kv delete`) makes the entry absent.
//
// # Consistency and watching
//
// Get and List read Vault on every call, so they see the writes of every replica and
// fail when Vault is unavailable rather than answering from a stale copy. List costs one
// LIST and one read per Secret. They are the management API's path; the gateway watches.
//
// Vault Community Edition has no change notifications, so the first Watch starts a
// poller (SecretStoreConfig.PollInterval, default 5 s) that runs until Close. One poll
// is one LIST of the prefix, one metadata read per known Secret (metadata carries the
// current version without any value) and one data read per Secret that is new or
// changed; measured in TestPollCost. Writes through this instance are published when
// they commit, in order, every one of them; changes made elsewhere arrive within one
// interval as the latest state of each Secret (intermediate versions written between two
// polls are not replayed). While Vault is unavailable the watch channels stay open;
// the poller logs the outage once and catches up when Vault is back.
//
// # Policy
//
// For the default mount and prefix, the token needs exactly (TestMinimalPolicy):
//
//	path "secret/data/appconnector/secrets/*"     { capabilities = ["create", "update", "read"] }
//	path "secret/metadata/appconnector/secrets/*" { capabilities = ["read", "list", "delete"] }
//
// # Errors
//
// Every error that means Vault cannot serve the request (sealed, unreachable, 5xx,
// rate-limited, permission denied) wraps ErrUnavailable and says which. Errors and logs
// name Secrets, keys and versions, never values or tokens.
package vault
