// Command appctl is the command-line client of the appconnector management API: apply
// Kyma Application and Secret manifests as kubectl does, list, show and delete them.
//
//	appctl apply -f examples/application.yaml -f examples/secret.yaml
//	appctl get applications
//	appctl get application orders-app -o yaml
//	appctl get secrets
//	appctl delete application orders-app
//
// The server address and admin token come from --server and --token, the
// APPCONNECTOR_SERVER and APPCONNECTOR_TOKEN environment variables, or (for the token)
// <data-dir>/admin.token of a local server.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
