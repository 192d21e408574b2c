package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/appconnector/appconnector/domain/credential"
)

// ErrUnavailable is matched by every error that means Vault cannot serve the request
// right now: sealed, unreachable, overloaded, or refusing this client's token. The
// message says which. It is the port's credential.ErrUnavailable, which the management
// API answers with 503.
var ErrUnavailable = credential.ErrUnavailable

// errCASMismatch is Vault's answer when the check-and-set version is not current.
const errCASMismatch = "check-and-set parameter did not match"

// vaultError translates an error of the Vault client into one that says what went wrong
// without quoting anything but Vault's own messages (which name paths, never values).
func vaultError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		msg := strings.Join(re.Errors, "; ")
		if re.RawError {
			// A body that is not Vault's JSON (a proxy's error page): do not echo it.
			msg = http.StatusText(re.StatusCode)
		}
		switch {
		case re.StatusCode == http.StatusServiceUnavailable && strings.Contains(msg, "sealed"):
			return fmt.Errorf("%s: %w: Vault is sealed", op, ErrUnavailable)
		case re.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%s: %w: permission denied (the token lacks a policy for this path, or expired): %s", op, ErrUnavailable, msg)
		case re.StatusCode == http.StatusTooManyRequests, re.StatusCode >= 500:
			return fmt.Errorf("%s: %w: Vault answered %d: %s", op, ErrUnavailable, re.StatusCode, msg)
		}
		return fmt.Errorf("%s: Vault answered %d: %s", op, re.StatusCode, msg)
	}
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe) {
		return fmt.Errorf("%s: %w: Vault unreachable: %v", op, ErrUnavailable, unwrapURL(err))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unwrapURL drops the url.Error layer, which repeats the request URL (and its query).
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isCASMismatch(err error) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusBadRequest &&
		strings.Contains(strings.Join(re.Errors, " "), errCASMismatch)
}

func isUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
