// Package client is a small Go client of the management API (adapters/httpapi):
// apply, get, list and delete Applications and Secrets. appctl and tests use it.
// Failures the server answered are *Error values carrying its status and message.
package client
